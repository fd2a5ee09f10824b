/**
 * The Sentinel fault run (part of `make faults`): a real tandem server behind
 * a Sentinel set of its own (a primary, two replicas, three Sentinels), under a
 * load of logged-in reads, creates, logins, queued jobs and a timed tick run by
 * two schedulers, and two faults in turn: (a) SENTINEL FAILOVER, (b) the
 * primary killed with SIGKILL. Per fault it prints the failed requests by
 * kind, the longest request, the time to recover beside the failover's own,
 * the jobs enqueued, lost and run twice, the ticks run, doubled and missed,
 * the sessions lost, and what the demoted primary accepted.
 *
 * A goal missed prints MISSED. The run exits 1 only when something is broken:
 * it could not run, the server died, or an acknowledged job was lost.
 */
import type { Redis } from 'ioredis';
import { ensureDatabase } from '../../src/core/db/database';
import { migrator } from '../../src/core/db/migrate';
import { createSequelize } from '../../src/core/db/mysql';
import { redisConnection } from '../../src/core/db/redis';
import { configureLogger } from '../../src/core/log';
import { migrations } from '../../src/model/migrations';
import { createStaffDomain } from '../../src/service/staff';
import { ACCESS } from '../../src/domains';
import { testConfig } from '../helpers/app';
import { spawnServer, type ServerProcess } from '../helpers/process';
import { startSentinelSet, type SentinelSet } from '../helpers/sentinel';
import { FAULT_JOBS, type Kind, Load } from './sentinel-load';

const DATABASE = 'tandem_t_sentinel_faults';
const PREFIX = 'tandem-sentinel-faults:';
const REQUEST_TIMEOUT_MS = 4000;
const MARGIN_MS = 1000;
const READERS = 6;
const WRITERS = 2;
const LOGIN_USERS = 6;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const password = (user: string): string => `pw-${user}-long-enough`;

/**
 * Watches the primary about to be demoted: a probe writes to it every 100 ms,
 * to tell how long it accepts writes after the promotion, that no replica will
 * keep. (What the app wrote there shows in the sessions, jobs and ticks lost.)
 */
async function watchDemotion(set: SentinelSet, port: number) {
  const probe = set.direct(port);
  probe.on('error', () => undefined);
  await probe.ping();
  let promotedAt: number | undefined;
  let accepted = 0;
  let refusedAt: number | undefined;
  let stopped = false;
  const probing = (async () => {
    for (let i = 0; !stopped && refusedAt === undefined; i += 1) {
      try {
        await probe.set(`${PREFIX}demotion-probe`, String(i));
        if (promotedAt !== undefined) accepted += 1;
      } catch (err) {
        if (err instanceof Error && err.message.startsWith('READONLY')) refusedAt = Date.now();
      }
      await sleep(100);
    }
  })();
  return {
    promoted: (at: number) => void (promotedAt = at),
    /** Waits (up to `ms`) until the old primary refuses writes, then stops watching. */
    finish: async (ms: number) => {
      const deadline = Date.now() + ms;
      while (refusedAt === undefined && Date.now() < deadline) await sleep(100);
      stopped = true;
      await probing;
      probe.disconnect();
      const writableMs = refusedAt !== undefined && promotedAt !== undefined ? refusedAt - promotedAt : undefined;
      return { writableMs, accepted };
    },
  };
}

/** Where a lost job is on each data server: its hash's fields and the lists that hold it, for the report. */
async function whereIs(set: SentinelSet, id: string): Promise<string[]> {
  const at = `${PREFIX}bull:${FAULT_JOBS.name}:`;
  const lines: string[] = [];
  for (const port of set.serverPorts) {
    const direct = set.direct(port);
    direct.on('error', () => undefined);
    try {
      const role = /role:(\w+)/.exec(await direct.info('replication'))?.[1] ?? '?';
      const fields = Object.keys(await direct.hgetall(at + id));
      const lists = [];
      for (const list of ['wait', 'active']) if ((await direct.lrange(at + list, 0, -1)).includes(id)) lists.push(list);
      for (const set of ['completed', 'failed', 'delayed'])
        if ((await direct.zscore(at + set, id)) !== null) lists.push(set);
      lines.push(`:${port} (${role}): fields [${fields.join(' ')}], in [${lists.join(' ')}]`);
    } catch {
      lines.push(`:${port}: not answering`);
    } finally {
      direct.disconnect();
    }
  }
  return lines;
}

interface Verdict {
  missed: string[];
  broken: string[];
}

async function runFault(
  name: string,
  set: SentinelSet,
  load: Load,
  server: ServerProcess,
  inject: (primary: number) => Promise<void>,
  verdict: Verdict,
): Promise<void> {
  await set.settled(2, 60000);
  await sleep(2000);
  const primary = await set.primaryPort();
  const demotion = name.startsWith('a') ? await watchDemotion(set, primary) : undefined;
  const ticksBefore = new Set(load.ticks.keys());
  const fromSample = load.samples.length;
  const jobsBefore = new Set(load.enqueued);
  const tokensBefore = load.tokens.length;
  const faultAt = Date.now();
  await inject(primary);
  const newPrimary = await set.waitForNewPrimary(primary, 60000);
  const failoverMs = Date.now() - faultAt;
  demotion?.promoted(Date.now());
  await sleep(8000);
  const window = load.samples.slice(fromSample);
  const demoted = await demotion?.finish(30000);
  // Jobs get time to run (a job whose completion the failover lost runs again after the stalled check).
  const jobs = [...load.enqueued].filter((n) => !jobsBefore.has(n));
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline && jobs.some((n) => !load.runs.has(n))) await sleep(200);
  const lost = jobs.filter((n) => !load.runs.has(n)).length;
  const twice = jobs.filter((n) => (load.runs.get(n) ?? 0) > 1).length;
  // The ticks are judged over 12 s from just before the fault: let them all come due and run.
  while (Date.now() < faultAt + 13500) await sleep(200);
  const faultSecond = Math.floor(faultAt / 1000);
  const seconds = [...load.ticks.keys()].filter((s) => !ticksBefore.has(s));
  const span = Array.from({ length: 12 }, (_, i) => faultSecond - 1 + i);
  const ticksRun = span.filter((s) => load.ticks.get(s) === 1).length;
  const ticksDoubled = seconds.filter((s) => (load.ticks.get(s) ?? 0) > 1).length;
  const ticksMissed = span.filter((s) => !load.ticks.has(s)).length;
  const tokens = load.tokens.slice(0, load.tokens.length);
  // Sessions are judged once Redis answers logins again: a session unreadable during the outage is not lost.
  const loginUser = `sentinel-fault-${READERS + WRITERS}`;
  const loginDeadline = Date.now() + 30000;
  while (Date.now() < loginDeadline && !(await load.loginQuietly(loginUser))) await sleep(500);
  let sessionsLost = 0;
  for (const token of tokens) {
    // A session counts as lost only when three tries a second apart all find it gone, not on one failed request.
    let lives = false;
    for (let i = 0; i < 3 && !lives; i += 1) {
      lives = await load.sessionLives(token);
      if (!lives) await sleep(1000);
    }
    if (!lives) sessionsLost += 1;
  }
  const failed = window.filter((s) => !s.ok);
  const byKind = (kind: Kind): string => {
    const all = window.filter((s) => s.kind === kind);
    const bad = all.filter((s) => !s.ok);
    const statuses: Record<string, number> = {};
    for (const s of bad) statuses[s.status] = (statuses[s.status] ?? 0) + 1;
    return `${bad.length}/${all.length}${bad.length > 0 ? ` ${JSON.stringify(statuses)}` : ''}`;
  };
  const longest = Math.max(0, ...window.map((s) => s.ended - s.started));
  const recoveryMs = failed.length === 0 ? 0 : Math.max(...failed.map((s) => s.ended)) - faultAt;
  const goal = failoverMs + 1000;

  console.log(`\n== sentinel ${name} (primary :${primary} -> :${newPrimary})`);
  console.log(`  failover (the Sentinels name the new primary): ${failoverMs} ms after the fault`);
  console.log(
    `  failed requests: logins ${byKind('login')}, reads ${byKind('read')}, creates ${byKind('create')}, enqueues ${byKind('enqueue')}`,
  );
  if (failed.length > 0) {
    const ends = failed.map((s) => s.ended - faultAt);
    console.log(`  failures ended between +${Math.min(...ends)} and +${Math.max(...ends)} ms after the fault`);
  }
  console.log(`  longest request: ${longest} ms (deadline ${REQUEST_TIMEOUT_MS} ms)`);
  console.log(`  recovery (the last failure ended): ${recoveryMs} ms after the fault (goal ${goal} ms)`);
  console.log(`  jobs: ${jobs.length} enqueued, ${lost} lost, ${twice} run twice`);
  for (const n of jobs.filter((j) => !load.runs.has(j))) {
    console.log(`    lost: job ${n}, enqueued at +${(load.enqueuedAt.get(n) ?? faultAt) - faultAt} ms`);
    for (const line of await whereIs(set, `fault-job-${n}`)) console.log(`      ${line}`);
  }
  const missedAt = span.filter((s) => !load.ticks.has(s)).map((s) => `+${s - faultSecond} s`);
  console.log(
    `  timed ticks (12 s around the fault): ${ticksRun} run once, ${ticksDoubled} doubled, ${ticksMissed} missed ${missedAt.join(' ')}`,
  );
  console.log(
    `  sessions: ${tokens.length} handed out so far (${tokens.length - tokensBefore} in this fault), ${sessionsLost} lost`,
  );
  if (demoted) {
    console.log(
      `  the demoted primary took writes for ${demoted.writableMs ?? 'more than 30000'} ms after the promotion: ${demoted.accepted} of the probe's writes every 100 ms accepted, none kept`,
    );
  }
  const miss = (ok: boolean, what: string): void => {
    if (!ok) {
      console.log(`  MISSED: ${what}`);
      verdict.missed.push(`${name}: ${what}`);
    }
  };
  miss(sessionsLost === 0, `${sessionsLost} logged-in sessions lost`);
  miss(twice === 0, `${twice} jobs run twice`);
  miss(ticksDoubled === 0 && ticksMissed === 0, `ticks doubled ${ticksDoubled}, missed ${ticksMissed}`);
  miss(longest <= REQUEST_TIMEOUT_MS + MARGIN_MS, `a request took ${longest} ms`);
  miss(recoveryMs <= goal, `recovery ${recoveryMs} ms over ${goal} ms`);
  if (lost > 0) verdict.broken.push(`${name}: ${lost} acknowledged jobs lost`);
  if (server.child.exitCode !== null) verdict.broken.push(`${name}: the server exited`);
}

async function main(): Promise<number> {
  const started = Date.now();
  configureLogger({ level: 'warn', file: '', service: 'sentinel-faults' });
  console.log('sentinel faults: starting a primary, two replicas and three Sentinels of our own');
  const set = await startSentinelSet(2);
  let server: ServerProcess | undefined;
  let load: Load | undefined;
  const verdict: Verdict = { missed: [], broken: [] };
  try {
    const redisOverrides = {
      key_prefix: PREFIX,
      sentinels: set.sentinels,
      sentinel_name: set.name,
      wait_replicas: 1,
    };
    const config = testConfig({
      mysql: { database: DATABASE },
      redis: redisOverrides,
      queue: { lock_ms: 4000, stalled_check_ms: 2000 },
    });
    await ensureDatabase(config);
    const sequelize = createSequelize(config);
    await migrator(sequelize, migrations).up();
    const redis: Redis = redisConnection(config, 'faults');
    await redis.connect();
    const { staff } = createStaffDomain(sequelize, redis, config.auth, ACCESS);
    const users = Array.from({ length: READERS + WRITERS + LOGIN_USERS }, (_, i) => `sentinel-fault-${i}`);
    for (const username of users) await staff.upsert({ username, password: password(username), roles: ['cs_agent'] });
    await sequelize.close();
    redis.disconnect();

    server = spawnServer('src/main.ts', {
      TANDEM_MYSQL_DATABASE: DATABASE,
      TANDEM_REDIS_KEY_PREFIX: PREFIX,
      TANDEM_REDIS_SENTINELS: set.sentinels.join(','),
      TANDEM_REDIS_SENTINEL_NAME: set.name,
      TANDEM_REDIS_WAIT_REPLICAS: '1',
      TANDEM_HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      TANDEM_LOG_LEVEL: 'info',
    });
    const { http } = await server.serving();
    const base = `http://127.0.0.1:${http}`;
    const eventIds: number[] = [];
    load = new Load(base, config, users.slice(READERS + WRITERS), password, eventIds);
    const seeder = await load.login(users[0] as string);
    for (let i = 0; i < 10; i += 1) {
      const res = await fetch(`${base}/api/cs/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${seeder}` },
        body: JSON.stringify({ user_type: 'merchant', source: 'phone', content: `seed ${i}` }),
      });
      const body = (await res.json()) as { data?: { id?: number } };
      if (res.status !== 201 || body.data?.id === undefined) throw new Error(`seeding failed with ${res.status}`);
      eventIds.push(body.data.id);
    }
    await load.start(users.slice(0, READERS), users.slice(READERS, READERS + WRITERS));
    const running = load;
    const sentinelPort = Number(set.sentinels[0]?.split(':')[1]);
    await runFault(
      'a: SENTINEL FAILOVER',
      set,
      running,
      server,
      async () => {
        const sentinel = set.direct(sentinelPort);
        await sentinel.call('SENTINEL', 'FAILOVER', set.name);
        sentinel.disconnect();
      },
      verdict,
    );
    await runFault('b: primary killed (SIGKILL)', set, running, server, (primary) => set.kill(primary), verdict);
    await running.stopLoad();
  } catch (err) {
    verdict.broken.push(`the run could not complete: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await load?.stopLoad().catch(() => undefined);
    await load?.close().catch(() => undefined);
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await set.stop();
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  const outcome = verdict.broken.length > 0 ? 'BROKEN' : verdict.missed.length > 0 ? 'goals MISSED' : 'all goals met';
  console.log(`\nsentinel faults: ${outcome} in ${seconds} s`);
  for (const line of [...verdict.broken, ...verdict.missed]) console.log(`  - ${line}`);
  return verdict.broken.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('sentinel faults: the run could not start:', err);
    process.exit(1);
  },
);
