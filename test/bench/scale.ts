/**
 * make bench-scale: the lists, the timeline, the stats and the timed jobs on
 * a table of BENCH_SCALE_ROWS events (default 10,000,000) beside the same on
 * 10,000, with the ratio, and the goals of docs/operations.md printed as
 * MET or MISSED (a miss does not fail the run). Each size gets a database of
 * its own (tandem_bench_scale_<rows>), dropped at the end unless
 * BENCH_SCALE_KEEP=1; an existing one of the right size is reused with
 * BENCH_SCALE_REUSE=1.
 */
import { randomBytes } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { buildConfig, type Config } from '../../src/core/config';
import { dropDatabase } from '../../src/core/db/database';
import { createSequelize } from '../../src/core/db/mysql';
import { redisConnection } from '../../src/core/db/redis';
import { ACCESS, buildDomains, closeDomains } from '../../src/domains';
import { appModules } from '../../src/modules';
import { bothDoors, startApp } from '../../src/core/app/app';
import { logger } from '../../src/core/log';
import { createStaffDomain } from '../../src/service/staff';
import { dropKeys, rawRedis } from '../helpers/redis';
import { buildScaleDatabase, LONG_TIMELINE_EVENT } from './scale-data';
import { formatScaleReport, type Sample, type SizeResult } from './scale-report';

const BIG = Number(process.env.BENCH_SCALE_ROWS ?? 10_000_000);
const SMALL = 10_000;
/** 100 a request: of 30, the p99 is the slowest one, a single pause of a shared machine. */
const SAMPLES = Number(process.env.BENCH_SCALE_SAMPLES ?? 100);
const DEEP = 100_000;

/** The documented filters (docs/http.md), alone and in the back office's combinations. */
export const SCALE_FILTERS: [string, string][] = [
  ['no filter', ''],
  ['status=pending', 'status=pending'],
  ['status=pending,remain&handler=7', 'status=pending,remain&handler=7'],
  ['priority=3', 'priority=3'],
  ['status=pending&priority=3', 'status=pending&priority=3'],
  ['category_id=3', 'category_id=3'],
  ['user_type=merchant', 'user_type=merchant'],
  ['source=weibo', 'source=weibo'],
  ['phone', 'phone=1380000123'],
  ['handler=7', 'handler=7'],
  ['has_compensation=true', 'has_compensation=true'],
  ['created one day', 'created_from=2024-06-01&created_to=2024-06-01'],
  ['status=pending,done + created week', 'status=pending,done&created_from=2024-06-01&created_to=2024-06-07'],
  ['page_size=100', 'page_size=100'],
];

const say = (line: string): void => void process.stdout.write(`${line}\n`);

/**
 * The configuration of one size: the environment's MariaDB and Redis (TANDEM_MYSQL_HOST and the
 * like apply), a database and a key prefix of the bench's own, free ports, no scheduler or statsd.
 */
function scaleConfig(rows: number, prefix = `tandem-bench-scale-${process.pid}-${rows}:`): Config {
  return buildConfig(
    {
      env: 'test',
      http: { port: 0 },
      thrift: { port: 0 },
      statsd: { enabled: false },
      log: { level: 'error', access: false },
      mysql: { database: `tandem_bench_scale_${rows}` },
      redis: { key_prefix: prefix },
      // The bench's client shares the server's event loop (its 1,000-row walks parse what the server
      // serialised), so the lag guard would shed the bench's own requests: it measures queries, not shedding.
      server: { shutdown_timeout_ms: 2000, drain_delay_ms: 0, scheduler: false, max_event_loop_lag_ms: 0 },
    },
    process.env,
  );
}

function stats(ms: number[]): Sample {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return { median: at(0.5), p99: at(0.99), n: sorted.length };
}

interface Client {
  get: (path: string) => Promise<{ status: number; ms: number; body: { data: Record<string, unknown> } }>;
  post: (path: string, body: unknown) => Promise<{ status: number; ms: number }>;
  failures: number;
}

function client(base: string, token: string): Client {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const c: Client = {
    failures: 0,
    get: async (path) => {
      const started = performance.now();
      const res = await fetch(base + path, { headers });
      const body = (await res.json()) as { data: Record<string, unknown> };
      const ms = performance.now() - started;
      if (res.status !== 200) c.failures += 1;
      return { status: res.status, ms, body };
    },
    post: async (path, body) => {
      const started = performance.now();
      const res = await fetch(base + path, { method: 'POST', headers, body: JSON.stringify(body) });
      await res.arrayBuffer();
      if (res.status >= 300) c.failures += 1;
      return { status: res.status, ms: performance.now() - started };
    },
  };
  return c;
}

async function sample(c: Client, path: string): Promise<Sample> {
  for (let i = 0; i < 3; i += 1) await c.get(path);
  const ms: number[] = [];
  for (let i = 0; i < SAMPLES; i += 1) ms.push((await c.get(path)).ms);
  return stats(ms);
}

/** The cursor of a page `depth` rows down the list (or as deep as it goes), walked 1,000 at a time. */
async function deepCursor(c: Client, base: string, depth: number): Promise<{ cursor: string | null; depth: number }> {
  let cursor: string | null = null;
  let reached = 0;
  while (reached < depth) {
    const size = Math.min(1000, depth - reached);
    // The walk's own page size replaces the filter's (page_size=100 is one of the lists).
    const path = base.replace(/([?&])page_size=\d+&?/, '$1');
    const sep = path.endsWith('?') ? '' : '&';
    const res = await c.get(`${path}${sep}page_size=${size}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    const next = res.body.data.next_cursor as string | null;
    if (!next) break;
    cursor = next;
    reached += size;
  }
  // A list shorter than a walk's page: the cursor after its first 20 rows or, for a list of 20 rows or
  // fewer (a filter on the 10,000-event table), after its first row, so that the page by cursor has a
  // figure on both tables: a keyset page costs the same at any depth, which is what the pair compares.
  for (const size of [20, 1]) {
    if (cursor) break;
    const path = base.replace(/([?&])page_size=\d+&?/, '$1');
    const first = await c.get(`${path}${path.endsWith('?') ? '' : '&'}page_size=${size}`);
    cursor = (first.body.data.next_cursor as string | null) ?? null;
    reached = cursor ? size : 0;
  }
  return { cursor, depth: reached };
}

const rssMb = (): number => process.memoryUsage().rss / 1048576;

/** Creates beside a job are sampled for this long at least: a short job is run again until then. */
const MIN_JOB_WINDOW_MS = 3000;

/**
 * Runs a job while creates go on beside it: its duration (the longest run),
 * peak RSS growth, and the creates' p99. A job shorter than
 * MIN_JOB_WINDOW_MS runs again until then (a re-run of the report writes
 * nothing but counts again), so the creates' p99 has enough samples.
 */
async function job(
  c: Client,
  run: () => Promise<unknown>,
): Promise<{ ms: number; rssGrowthMb: number; createP99: number; runs: number }> {
  global.gc?.();
  const before = rssMb();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 20);
  let running = true;
  const creates: number[] = [];
  const creating = (async () => {
    while (running) creates.push((await c.post('/api/cs/events', createBody())).ms);
  })();
  const started = performance.now();
  let longest = 0;
  let runs = 0;
  try {
    do {
      const one = performance.now();
      await run();
      longest = Math.max(longest, performance.now() - one);
      runs += 1;
    } while (performance.now() - started < MIN_JOB_WINDOW_MS);
  } finally {
    running = false;
    clearInterval(sampler);
  }
  await creating;
  return { ms: longest, rssGrowthMb: peak - before, createP99: stats(creates).p99, runs };
}

const createBody = () => ({ user_type: 'user', source: 'phone', phone: '13900000000', content: 'bench-scale create' });

async function measure(rows: number): Promise<SizeResult> {
  const database = `tandem_bench_scale_${rows}`;
  const prefix = `tandem-bench-scale-${process.pid}-${rows}:`;
  const config: Config = scaleConfig(rows, prefix);
  say(`\n${rows.toLocaleString('en')} events: database ${database}`);
  const reuse = process.env.BENCH_SCALE_REUSE === '1' && (await eventCount(config)) >= rows;
  const built = reuse ? { steps: [] } : await buildScaleDatabase(config, rows, say);
  for (const [name, ms] of built.steps) say(`  ${name}: ${(ms / 1000).toFixed(1)} s`);
  const app = bothDoors(await startApp(config, appModules()));
  const sequelize = createSequelize(config);
  const redis = redisConnection(config, 'bench');
  await redis.connect();
  const domains = await buildDomains(config, sequelize, redis);
  try {
    const username = `scale-${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    const staff = createStaffDomain(sequelize, redis, config.auth, ACCESS).staff;
    await staff.upsert({ username, password, roles: ['cs_agent', 'cs_admin'] });
    const base = `http://127.0.0.1:${app.http.port}`;
    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    const token = String(((await login.json()) as { data: { token: string } }).data.token);
    const c = client(base, token);
    const requests: Record<string, Sample> = {};
    const depths: Record<string, number> = {};
    await c.get('/api/cs/stats');
    for (const [name, query] of SCALE_FILTERS) {
      const path = `/api/cs/events${query ? `?${query}` : ''}`;
      requests[`${name}: first page`] = await sample(c, path);
      const deep = await deepCursor(c, path.includes('?') ? path : `${path}?`, DEEP);
      depths[name] = deep.depth;
      if (deep.cursor) {
        const sep = path.includes('?') ? '&' : '?';
        requests[`${name}: page by cursor`] = await sample(c, `${path}${sep}cursor=${encodeURIComponent(deep.cursor)}`);
      }
    }
    const timeline = `/api/cs/events/${LONG_TIMELINE_EVENT}/timeline`;
    requests['timeline of 10,000 records: first page'] = await sample(c, `${timeline}?page_size=20`);
    const deepTimeline = await deepCursor(c, `${timeline}?`, 9_000);
    if (deepTimeline.cursor)
      requests['timeline: page by cursor'] = await sample(c, `${timeline}?page_size=20&cursor=${deepTimeline.cursor}`);
    requests['GET /api/cs/stats'] = await sample(c, '/api/cs/stats');
    const idle: number[] = [];
    for (let i = 0; i < 100; i += 1) idle.push((await c.post('/api/cs/events', createBody())).ms);
    const idleCreates = stats(idle);
    say('  timed jobs');
    const jobs = {
      'cs.escalate_stale': await job(c, () =>
        domains.cs.maintenance.escalateStale(new Date('2025-01-10T00:00:00Z'), 3_600_000),
      ),
      'cs.daily_report': await job(c, () => domains.cs.maintenance.writeDailyReport('2024-06-01', 'UTC')),
      'risk reconcile': await job(c, () => domains.risk.review.reconcile()),
      'stats rebuild (Redis miss)': await job(c, async () => {
        await redis.del('cs:stats');
        return domains.cs.events.stats();
      }),
    };
    return { rows, requests, depths, idleCreates, jobs, failures: c.failures, steps: built.steps };
  } finally {
    await closeDomains(domains, 1000);
    await sequelize.close();
    redis.disconnect();
    await app.stop();
    const raw = rawRedis();
    await dropKeys(raw, prefix);
    raw.disconnect();
  }
}

async function eventCount(config: Config): Promise<number> {
  const sequelize = createSequelize({ ...config, mysql: { ...config.mysql, query_timeout_ms: 0 } });
  try {
    const [row] = await sequelize.query<{ n: string | number }>('SELECT MAX(id) AS n FROM cs_event', {
      type: QueryTypes.SELECT,
    });
    return Number(row?.n ?? 0);
  } catch {
    return 0;
  } finally {
    await sequelize.close();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  // The build's statements are slow by design: no 'slow query' line for each.
  logger.level = 'error';
  say(
    `make bench-scale: ${BIG.toLocaleString('en')} events beside ${SMALL.toLocaleString('en')}, ${SAMPLES} samples a request`,
  );
  const small = await measure(SMALL);
  const big = await measure(BIG);
  say(`\n${formatScaleReport(small, big)}`);
  if (process.env.BENCH_SCALE_KEEP !== '1') {
    for (const rows of [SMALL, BIG]) {
      const config = scaleConfig(rows);
      await dropDatabase(config, config.mysql.database);
    }
  }
  say(`\nmake bench-scale took ${((Date.now() - started) / 60_000).toFixed(1)} min.`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench-scale failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
