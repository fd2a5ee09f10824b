import type { Redis } from 'ioredis';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { Config } from '../../src/core/config';
import { redisConnection } from '../../src/core/db/redis';
import { createSequelize } from '../../src/core/db/mysql';
import { buildDomains, closeDomains, type Domains } from '../../src/domains';
import { previousDay } from '../../src/service/cs/cs-maintenance-service';
import type { Actor, CsEvent, NewCsEvent } from '../../src/service/cs/cs-types';
import { createScheduler } from '../../scheduler';
import type { Outcome, Scheduler } from '../../scheduler/runner';
import type { JobDeps } from '../../scheduler/deps';
import { testConfig } from '../helpers/app';
import { runCommand } from '../helpers/command';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { dropKeys, rawRedis } from '../helpers/redis';

// Child processes and commands start slowly on a loaded machine: the waits below are bounds against hanging, never
// speed assertions, and this lets them play out.
jest.setTimeout(90_000);

/** cs.escalate_stale and cs.daily_report, run through the scheduler as a tick or `npm run job` runs them. */
const STALE_MINUTES = 60;
const STALE_MS = STALE_MINUTES * 60_000;
const REPORT_ZONE = 'Asia/Shanghai';
const agent: Actor = { id: 501, admin: true };
const prefix = freshRedisPrefix();

let db: { database: string; drop: () => Promise<void> };
let config: Config;
let sequelize: Sequelize;
let redis: Redis;
let domains: Domains;
let scheduler: Scheduler<JobDeps>;
let logs: LogCapture;

beforeAll(async () => {
  logs = captureLogs();
  db = await freshDatabase();
  config = testConfig({
    mysql: { database: db.database },
    redis: { key_prefix: prefix },
    cs: { stale_after_minutes: STALE_MINUTES },
  });
  sequelize = createSequelize(config);
  redis = redisConnection(config, 'test');
  await redis.connect();
  domains = await buildDomains(config, sequelize, redis);
  scheduler = createScheduler(redis, { config, cs: domains.cs, risk: domains.risk }, undefined);
});

afterAll(async () => {
  await closeDomains(domains, 1000);
  await sequelize.close();
  redis.disconnect();
  const raw = rawRedis();
  await dropKeys(raw, prefix);
  raw.disconnect();
  await db.drop();
});

function newEvent(over: Partial<NewCsEvent> = {}): Promise<CsEvent> {
  return domains.cs.events.create(agent, {
    user_id: null,
    user_type: 'user',
    phone: '13800000000',
    order_id: null,
    source: 'phone',
    category_id: null,
    priority: 0,
    compensation: 0,
    content: 'the rider was rude',
    ...over,
  });
}

function select<T extends object>(sql: string, replacements: Record<string, unknown> = {}): Promise<T[]> {
  return sequelize.query<T>(sql, { type: QueryTypes.SELECT, replacements });
}

async function execute(sql: string, replacements: Record<string, unknown>): Promise<void> {
  await sequelize.query(sql, { replacements });
}

describe('cs.escalate_stale', () => {
  interface Stored {
    priority: number;
    escalations: number;
    updated_at: string;
  }

  async function stored(id: number): Promise<Stored> {
    const [row] = await select<{ priority: number; updated_at: Date }>(
      'SELECT priority, updated_at FROM cs_event WHERE id = :id',
      { id },
    );
    const [records] = await select<{ n: number | string }>(
      "SELECT COUNT(*) AS n FROM cs_event_record WHERE event_id = :id AND action = 'escalate'",
      { id },
    );
    return {
      priority: Number(row?.priority),
      escalations: Number(records?.n),
      updated_at: new Date(row?.updated_at as Date).toISOString(),
    };
  }

  /** Moves the last change of events back by one stale period and a minute, as if nobody touched them since. */
  async function ageByAPeriod(ids: number[]): Promise<void> {
    await execute('UPDATE cs_event SET updated_at = updated_at - INTERVAL :minutes MINUTE WHERE id IN (:ids)', {
      minutes: STALE_MINUTES + 1,
      ids,
    });
  }

  /** Runs the job many times: two scheduler runs and two service calls at once, then two more runs in a row. */
  async function runOften(): Promise<Outcome[]> {
    const now = (): Date => new Date();
    const together = await Promise.all([
      scheduler.runNow('cs.escalate_stale'),
      scheduler.runNow('cs.escalate_stale'),
      domains.cs.maintenance.escalateStale(now(), STALE_MS),
      domains.cs.maintenance.escalateStale(now(), STALE_MS),
    ]);
    const after = [await scheduler.runNow('cs.escalate_stale'), await scheduler.runNow('cs.escalate_stale')];
    return [together[0], together[1], ...after];
  }

  let low: CsEvent;
  let high: CsEvent;
  let top: CsEvent;
  let done: CsEvent;
  let fresh: CsEvent;
  let before: Record<'done' | 'fresh' | 'top', Stored>;

  beforeAll(async () => {
    low = await newEvent({ priority: 1 });
    high = await newEvent({ priority: 2 });
    top = await newEvent({ priority: 3 });
    done = await newEvent({ priority: 0 });
    await domains.cs.events.transition(agent, done.id, { to: 'done' });
    fresh = await newEvent({ priority: 0 });
  });

  it('when stale events are checked many times in a period, also at once, then each is raised one step with one record', async () => {
    await ageByAPeriod([low.id, high.id, top.id, done.id]);
    before = { done: await stored(done.id), fresh: await stored(fresh.id), top: await stored(top.id) };
    const cached = await domains.cs.events.get(low.id);

    const outcomes = await runOften();

    // The two scheduler runs started together: the second finds the first holding the job's lock.
    expect(outcomes).toEqual(['ok', 'skipped_overlap', 'ok', 'ok']);
    expect(await stored(low.id)).toMatchObject({ priority: 2, escalations: 1 });
    expect(await stored(high.id)).toMatchObject({ priority: 3, escalations: 1 });
    const [record] = await select<{ actor_id: string; from_status: string; to_status: string; content: string }>(
      "SELECT actor_id, from_status, to_status, content FROM cs_event_record WHERE event_id = :id AND action = 'escalate'",
      { id: low.id },
    );
    expect(record).toMatchObject({ actor_id: '0', from_status: 'pending', to_status: 'pending' });
    expect(record?.content).toMatch(/^priority 1 -> 2: untouched since /);
    // The cached copy read before the job is not served afterwards.
    expect(cached.priority).toBe(1);
    expect((await domains.cs.events.get(low.id)).priority).toBe(2);
  });

  it('when a stale event is at the top priority, done, or recently touched, then it is left as it was', async () => {
    expect(await stored(top.id)).toEqual(before.top);
    expect(await stored(done.id)).toEqual(before.done);
    expect(await stored(fresh.id)).toEqual(before.fresh);
    expect(before.top).toMatchObject({ priority: 3, escalations: 0 });
    expect(before.done).toMatchObject({ priority: 0, escalations: 0 });
  });

  it('when another stale period passes, then each is raised once more, never past the top', async () => {
    await ageByAPeriod([low.id, high.id, top.id, done.id]);
    await runOften();

    expect(await stored(low.id)).toMatchObject({ priority: 3, escalations: 2 });
    expect(await stored(high.id)).toMatchObject({ priority: 3, escalations: 1 });

    await ageByAPeriod([low.id, high.id, top.id, done.id]);
    await runOften();

    expect(await stored(low.id)).toMatchObject({ priority: 3, escalations: 2 });
    expect(await stored(high.id)).toMatchObject({ priority: 3, escalations: 1 });
    expect(await stored(done.id)).toMatchObject({ priority: 0, escalations: 0 });
    expect(await stored(fresh.id)).toEqual(before.fresh);
  });
});

describe('cs.daily_report', () => {
  const DAY = '2026-03-01';
  // 06:30 on 2 March in Shanghai, when the tick for the report of 1 March is due.
  const DUE = new Date('2026-03-01T22:30:00.000Z');

  interface ReportRow {
    dimension: string;
    dim_key: string;
    count: number;
  }

  const report = (day: string): Promise<ReportRow[]> =>
    select<ReportRow>(
      'SELECT dimension, dim_key, count FROM cs_daily_report WHERE report_date = :day ORDER BY dimension, dim_key',
      { day },
    );

  async function createdAt(event: CsEvent, iso: string): Promise<void> {
    await execute('UPDATE cs_event SET created_at = :at WHERE id = :id', { at: new Date(iso), id: event.id });
  }

  let delivery: number;
  let refund: number;

  beforeAll(async () => {
    delivery = await domains.cs.categories.ensureTopLevel('Delivery');
    refund = await domains.cs.categories.ensureTopLevel('Refund');
    // 1 March in Shanghai (UTC+8) is [28 Feb 16:00, 1 Mar 16:00) in UTC.
    const first = await newEvent({ category_id: delivery });
    await createdAt(first, '2026-02-28T16:00:00.000Z');
    const last = await newEvent({ category_id: refund });
    await domains.cs.events.transition(agent, last.id, { to: 'done' });
    await createdAt(last, '2026-03-01T15:59:59.999Z');
    const midday = await newEvent({ category_id: null });
    await domains.cs.events.transition(agent, midday.id, { to: 'follow_up' });
    await createdAt(midday, '2026-03-01T04:00:00.000Z');
    const deleted = await newEvent({ category_id: delivery });
    await createdAt(deleted, '2026-03-01T05:00:00.000Z');
    await domains.cs.events.remove(agent, deleted.id);
    // The evening before and the midnight after, in Shanghai.
    await createdAt(await newEvent({ category_id: delivery }), '2026-02-28T15:59:59.999Z');
    await createdAt(await newEvent({ category_id: refund }), '2026-03-01T16:00:00.000Z');
  });

  it("when it runs several times for one day, also at once, then one report is written with that day's counts per status and per category", async () => {
    const together = await Promise.all([
      scheduler.runNow('cs.daily_report', DUE),
      scheduler.runNow('cs.daily_report', DUE),
      domains.cs.maintenance.writeDailyReport(DAY, REPORT_ZONE),
      domains.cs.maintenance.writeDailyReport(DAY, REPORT_ZONE),
    ]);
    const again = [await scheduler.runNow('cs.daily_report', DUE), await scheduler.runNow('cs.daily_report', DUE)];
    const rows = await report(DAY);

    expect([together[0], together[1]]).toEqual(['ok', 'skipped_overlap']);
    expect(again).toEqual(['ok', 'ok']);
    // Of the writers that ran (three at once, then two in a row), exactly one wrote the report.
    const jobResults = logs.lines
      .filter((l) => l.message === 'job run' && l.job === 'cs.daily_report' && l.outcome === 'ok')
      .map((l) => l.result);
    expect(jobResults).toHaveLength(3);
    const writes = [...jobResults, together[2], together[3]].filter((r) => (r as { written: boolean }).written);
    expect(writes).toHaveLength(1);
    expect(rows).toEqual([
      { dimension: 'category', dim_key: String(delivery), count: 1 },
      { dimension: 'category', dim_key: String(refund), count: 1 },
      { dimension: 'category', dim_key: 'none', count: 1 },
      { dimension: 'meta', dim_key: 'written', count: 3 },
      { dimension: 'status', dim_key: 'done', count: 1 },
      { dimension: 'status', dim_key: 'follow_up', count: 1 },
      { dimension: 'status', dim_key: 'pending', count: 1 },
    ]);
    expect(await select('SELECT DISTINCT report_date FROM cs_daily_report')).toHaveLength(1);
  });

  it('when the report of a day already exists, then the service says so and returns the stored counts', async () => {
    const result = await domains.cs.maintenance.writeDailyReport(DAY, REPORT_ZONE);

    expect(result.written).toBe(false);
    expect(result.rows).toEqual(await report(DAY));
  });
});

describe('npm run job -- cs.daily_report', () => {
  it("when run against a fresh database, then it exits 0 and yesterday's report is written", async () => {
    const own = await freshDatabase();
    const ownPrefix = freshRedisPrefix();
    try {
      const dayBefore = previousDay(new Date(), REPORT_ZONE);
      const result = await runCommand('npm', ['run', '--silent', 'job', '--', 'cs.daily_report'], {
        TANDEM_MYSQL_DATABASE: own.database,
        TANDEM_REDIS_KEY_PREFIX: ownPrefix,
      });
      const dayAfter = previousDay(new Date(), REPORT_ZONE);
      const other = createSequelize(testConfig({ mysql: { database: own.database } }));
      const rows = await other
        .query<{ report_date: string; dimension: string; count: number }>(
          'SELECT report_date, dimension, count FROM cs_daily_report',
          {
            type: QueryTypes.SELECT,
          },
        )
        .finally(() => other.close());

      expect(result.code).toBe(0);
      expect(result.stdout.split('\n')).toContain('cs.daily_report: ok');
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ dimension: 'meta', count: 0 });
      expect([dayBefore, dayAfter]).toContain(rows[0]?.report_date);
    } finally {
      await own.drop();
      const raw = rawRedis();
      await dropKeys(raw, ownPrefix);
      raw.disconnect();
    }
  });
});
