import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import { defineQueue, Queues } from '../../src/core/async';
import { createSequelize } from '../../src/core/db/mysql';
import { redisConnection, quitRedis } from '../../src/core/db/redis';
import { prom } from '../../src/core/monitor';
import { startMetricsServer } from '../../src/core/monitor/metrics-server';
import { Scheduler, type JobSetting } from '../../scheduler/runner';
import { ZeusClient } from '../../thirdparty/zeus/zeus-client';
import { MAX_I64_ID } from '../../thirdparty/zeus/stub/fixtures';
import { ZeusStub } from '../../thirdparty/zeus/stub/zeus-stub';
import { testConfig } from '../helpers/app';
import { freshRedisPrefix } from '../helpers/db';
import { captureLogs } from '../helpers/log-capture';
import { parseSamples, sampleValue, type Sample } from '../helpers/prom-text';
import { dropKeys, rawRedis } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

/*
 * The dependency and job series of /metrics move when real parts do work: a
 * MariaDB pool that fills and starves, a Redis client's commands and errors,
 * Bull jobs that succeed and fail, timed jobs ticking, and calls to the zeus
 * stub over real Thrift with its breaker opening and closing. Every figure is
 * read from the registry's text exposition, as Prometheus reads it.
 */

// Waits below are bounds against hanging on a loaded machine, never speed assertions.
jest.setTimeout(60_000);

const prefix = freshRedisPrefix();
const config = testConfig({ redis: { key_prefix: prefix } });
const raw = rawRedis();

async function scrape(): Promise<Sample[]> {
  return parseSamples(await prom.registry.metrics());
}

async function value(name: string, labels: Record<string, string> = {}): Promise<number> {
  return sampleValue(await scrape(), name, labels);
}

beforeAll(() => {
  captureLogs();
});

afterAll(async () => {
  await dropKeys(raw, prefix);
  raw.disconnect();
});

describe('the MySQL pool', () => {
  // One pool at a time (its close stops its figures), so the gauges read that pool alone.
  let sequelize: Sequelize | undefined;
  afterEach(async () => {
    await sequelize?.close();
    sequelize = undefined;
  });

  it('when more queries run than the pool has connections, then in use reaches the bound, the rest wait, and each acquisition is timed', async () => {
    sequelize = createSequelize(testConfig({ mysql: { pool_max: 2, pool_acquire_ms: 20_000 } }));
    const acquiredBefore = await value('tandem_mysql_pool_acquire_seconds_count', { pool: 'primary', outcome: 'ok' });
    const db = sequelize;
    const running = [1, 2, 3].map(() => db.query('SELECT SLEEP(0.3)'));
    const during = await waitFor(
      async () => {
        const samples = await scrape();
        const inUse = sampleValue(samples, 'tandem_mysql_pool_connections', { pool: 'primary', state: 'in_use' });
        const waiting = sampleValue(samples, 'tandem_mysql_pool_waiting', { pool: 'primary' });
        return inUse === 2 && waiting >= 1 ? { inUse, waiting, samples } : undefined;
      },
      10_000,
      'two connections in use and a query waiting',
    );
    await Promise.all(running);

    expect(sampleValue(during.samples, 'tandem_mysql_pool_connections', { pool: 'primary', state: 'max' })).toBe(2);
    expect(await value('tandem_mysql_pool_acquire_seconds_count', { pool: 'primary', outcome: 'ok' })).toBe(
      acquiredBefore + 3,
    );
    expect(await value('tandem_mysql_pool_waiting', { pool: 'primary' })).toBe(0);
  });

  it('when every connection is held past the acquire timeout, then the starved acquisition counts as failed', async () => {
    sequelize = createSequelize(testConfig({ mysql: { pool_max: 2, pool_acquire_ms: 400 } }));
    // Both connections opened first, so holding them takes no handshake under the short acquire timeout.
    await Promise.all([sequelize.query('SELECT SLEEP(0.05)'), sequelize.query('SELECT SLEEP(0.05)')]);
    const failedBefore = await value('tandem_mysql_pool_acquire_seconds_count', { pool: 'primary', outcome: 'failed' });
    const db = sequelize;
    const holders = [1, 2].map(() => db.query('SELECT SLEEP(1.5)'));
    await waitFor(
      async () =>
        (await value('tandem_mysql_pool_connections', { pool: 'primary', state: 'in_use' })) === 2 ? true : undefined,
      10_000,
      'both connections held',
    );
    await expect(db.query('SELECT 1')).rejects.toThrow(/acquire|timed out|timeout/i);
    await Promise.all(holders);

    expect(await value('tandem_mysql_pool_acquire_seconds_count', { pool: 'primary', outcome: 'failed' })).toBe(
      failedBefore + 1,
    );
    // 0.4 s of waiting lands above the 0.25 s bucket.
    expect(
      await value('tandem_mysql_pool_acquire_seconds_bucket', { pool: 'primary', outcome: 'failed', le: '0.25' }),
    ).toBe(0);
  });
});

describe('a Redis client', () => {
  let redis: Redis;
  beforeAll(async () => {
    redis = redisConnection(config, 'prom-series');
    await redis.connect();
  });
  afterAll(() => quitRedis(redis));

  it('when commands are sent, pipelined and refused, then each is counted by name and the refused ones as errors', async () => {
    const client = { client: 'prom-series' };
    const before = await scrape();
    await redis.set('prom:a', '1');
    await Promise.all([redis.get('prom:a'), redis.get('prom:a'), redis.incr('prom:n')]);
    await redis.multi().incr('prom:n').expire('prom:n', 60).exec();
    await redis.call('ECHO', 'not in the known list');
    await expect(redis.evalsha('0'.repeat(40), 0)).rejects.toThrow(/NOSCRIPT/);
    const after = await scrape();

    const delta = (name: string, command: string): number =>
      sampleValue(after, name, { ...client, command }) - sampleValue(before, name, { ...client, command });
    expect(delta('tandem_redis_commands_total', 'set')).toBe(1);
    expect(delta('tandem_redis_commands_total', 'get')).toBe(2);
    expect(delta('tandem_redis_commands_total', 'incr')).toBe(2);
    expect(delta('tandem_redis_commands_total', 'multi')).toBe(1);
    expect(delta('tandem_redis_commands_total', 'exec')).toBe(1);
    expect(delta('tandem_redis_commands_total', 'other')).toBe(1);
    expect(delta('tandem_redis_commands_total', 'evalsha')).toBe(1);
    expect(delta('tandem_redis_errors_total', 'evalsha')).toBe(1);
    expect(delta('tandem_redis_errors_total', 'get')).toBe(0);
  });
});

describe('Bull queues', () => {
  const ok = defineQueue<{ n: number }>({ name: 'prom-ok', attempts: 1, backoffMs: 50, timeoutMs: 5000 });
  const flaky = defineQueue<{ n: number }>({ name: 'prom-flaky', attempts: 2, backoffMs: 50, timeoutMs: 5000 });
  const idle = defineQueue<{ n: number }>({ name: 'prom-idle', attempts: 1, backoffMs: 50, timeoutMs: 5000 });
  let queues: Queues;
  beforeAll(() => {
    queues = new Queues(config, [ok, flaky, idle]);
  });
  afterAll(() => queues.close(2000));

  it('when jobs run, fail, are retried and wait, then runs count by outcome, durations are timed and depths read from Redis', async () => {
    queues.process(ok, 2, async () => new Promise((resolve) => setTimeout(resolve, 20)));
    queues.process(flaky, 1, () => Promise.reject(new Error('zeus is down')));
    for (const n of [1, 2, 3]) await queues.enqueue(ok, { n });
    await queues.enqueue(flaky, { n: 1 });
    for (const n of [1, 2]) await queues.enqueue(idle, { n });

    const samples = await waitFor(
      async () => {
        const s = await scrape();
        const done = sampleValue(s, 'tandem_queue_job_runs_total', { queue: 'prom-ok', outcome: 'ok' }) === 3;
        const failed = sampleValue(s, 'tandem_queue_jobs', { queue: 'prom-flaky', state: 'failed' }) === 1;
        return done && failed ? s : undefined;
      },
      20_000,
      'three jobs done and one in the failed set',
    );

    expect(sampleValue(samples, 'tandem_queue_job_runs_total', { queue: 'prom-flaky', outcome: 'retry' })).toBe(1);
    expect(sampleValue(samples, 'tandem_queue_job_runs_total', { queue: 'prom-flaky', outcome: 'failed' })).toBe(1);
    expect(sampleValue(samples, 'tandem_queue_job_duration_seconds_count', { queue: 'prom-ok', outcome: 'ok' })).toBe(
      3,
    );
    expect(
      sampleValue(samples, 'tandem_queue_job_duration_seconds_count', { queue: 'prom-flaky', outcome: 'failed' }),
    ).toBe(2);
    // The 20 ms jobs took at least 10 ms each.
    expect(
      sampleValue(samples, 'tandem_queue_job_duration_seconds_bucket', { queue: 'prom-ok', outcome: 'ok', le: '0.01' }),
    ).toBe(0);
    expect(sampleValue(samples, 'tandem_queue_jobs', { queue: 'prom-idle', state: 'waiting' })).toBe(2);
    expect(sampleValue(samples, 'tandem_queue_jobs', { queue: 'prom-ok', state: 'completed' })).toBe(3);
    expect(sampleValue(samples, 'tandem_queue_jobs', { queue: 'prom-ok', state: 'active' })).toBe(0);
  });
});

describe('timed jobs', () => {
  let redis: Redis;
  let scheduler: Scheduler<Record<string, never>>;
  let failing = true;
  const jobs: JobSetting<Record<string, never>>[] = [
    {
      name: 'prom.every_second',
      cron: '* * * * * *',
      timezone: 'UTC',
      enabled: true,
      timeoutMs: 5000,
      mode: 'inline',
      run: () => new Promise((resolve) => setTimeout(resolve, 20)),
    },
    {
      name: 'prom.flaky',
      cron: '0 0 1 1 *',
      timezone: 'UTC',
      enabled: true,
      timeoutMs: 5000,
      mode: 'inline',
      run: () => (failing ? Promise.reject(new Error('the report store is down')) : Promise.resolve()),
    },
  ];
  beforeAll(async () => {
    redis = redisConnection(config, 'prom-scheduler');
    await redis.connect();
    scheduler = new Scheduler(redis, jobs, {}, { tickLockMs: 60_000 });
  });
  afterAll(async () => {
    await scheduler.stop(2000);
    await quitRedis(redis);
  });

  it('when the scheduler ticks a job and another fails then succeeds, then runs count by outcome and the last tick and success move', async () => {
    const startedAt = Date.now() / 1000;
    scheduler.start();
    const atStart = await scrape();
    expect(sampleValue(atStart, 'tandem_scheduler_tick_interval_seconds', { name: 'prom.every_second' })).toBe(1);
    // A yearly job: 365 or 366 days.
    expect(sampleValue(atStart, 'tandem_scheduler_tick_interval_seconds', { name: 'prom.flaky' })).toBeGreaterThan(
      364 * 86400,
    );
    expect(
      sampleValue(atStart, 'tandem_scheduler_last_tick_timestamp_seconds', { name: 'prom.flaky' }),
    ).toBeGreaterThanOrEqual(Math.floor(startedAt));

    const samples = await waitFor(
      async () => {
        const s = await scrape();
        return sampleValue(s, 'tandem_timed_job_runs_total', { name: 'prom.every_second', outcome: 'ok' }) >= 2
          ? s
          : undefined;
      },
      15_000,
      'two ticks of the every-second job',
    );
    const lastTick = sampleValue(samples, 'tandem_scheduler_last_tick_timestamp_seconds', {
      name: 'prom.every_second',
    });
    const lastSuccess = sampleValue(samples, 'tandem_timed_job_last_success_timestamp_seconds', {
      name: 'prom.every_second',
    });
    expect(lastTick).toBeGreaterThan(startedAt);
    expect(lastSuccess).toBeGreaterThan(startedAt);
    expect(
      sampleValue(samples, 'tandem_timed_job_duration_seconds_count', { name: 'prom.every_second' }),
    ).toBeGreaterThanOrEqual(2);

    expect(await scheduler.runNow('prom.flaky')).toBe('failed');
    expect(await value('tandem_timed_job_runs_total', { name: 'prom.flaky', outcome: 'failed' })).toBe(1);
    expect(await value('tandem_timed_job_last_success_timestamp_seconds', { name: 'prom.flaky' })).toBe(0);
    failing = false;
    expect(await scheduler.runNow('prom.flaky')).toBe('ok');
    expect(await value('tandem_timed_job_runs_total', { name: 'prom.flaky', outcome: 'ok' })).toBe(1);
    expect(await value('tandem_timed_job_last_success_timestamp_seconds', { name: 'prom.flaky' })).toBeGreaterThan(
      startedAt,
    );
  });
});

describe('the zeus client', () => {
  const RESET_MS = 500;
  let stub: ZeusStub;
  let client: ZeusClient;
  let target: Record<string, string>;
  beforeAll(async () => {
    stub = new ZeusStub();
    const port = await stub.start();
    target = { service: 'zeus', target: `127.0.0.1:${port}` };
    client = new ZeusClient(
      testConfig({
        thirdparty: {
          zeus: {
            instances: [`127.0.0.1:${port}`],
            timeout_ms: 400,
            retries: 0,
            breaker_volume: 2,
            breaker_error_percent: 50,
            breaker_reset_ms: RESET_MS,
          },
        },
      }),
    );
  });
  afterAll(async () => {
    await client.close();
    await stub.stop();
  });

  it('when calls succeed, then fail until the breaker opens, then zeus is back, then calls and breaker states are in the series', async () => {
    const calls = (outcome: string): Promise<number> =>
      value('tandem_thirdparty_call_duration_seconds_count', { service: 'zeus', method: 'get_order', outcome });
    const okBefore = await calls('ok');
    expect(await value('tandem_thirdparty_breaker_state', target)).toBe(0);
    await client.getOrder(MAX_I64_ID);
    expect(await calls('ok')).toBe(okBefore + 1);

    const unavailableBefore = await calls('unavailable');
    stub.resetCalls();
    for (let i = 0; i < 2; i += 1) await expect(client.getOrder(MAX_I64_ID)).rejects.toThrow();
    expect(client.breakerState).toBe('open');
    expect(await calls('unavailable')).toBe(unavailableBefore + 2);
    expect(await value('tandem_thirdparty_breaker_state', target)).toBe(2);
    await expect(client.getOrder(MAX_I64_ID)).rejects.toThrow();
    expect(await calls('circuit_open')).toBeGreaterThanOrEqual(1);

    stub.recover();
    await waitFor(
      async () => ((await value('tandem_thirdparty_breaker_state', target)) === 1 ? true : undefined),
      RESET_MS + 5000,
      'the breaker to half-open',
    );
    await client.getOrder(MAX_I64_ID);
    expect(await value('tandem_thirdparty_breaker_state', target)).toBe(0);
    for (const state of ['open', 'half_open', 'closed'])
      expect(
        await value('tandem_thirdparty_breaker_transitions_total', { service: 'zeus', state }),
      ).toBeGreaterThanOrEqual(1);
  });
});

describe("the worker's metrics port", () => {
  it('when scraped, then /metrics has the series and /ping answers; an address outside the allowed networks gets 403', async () => {
    const open = await startMetricsServer({ host: '127.0.0.1', port: 0, allowedNetworks: [] });
    const closed = await startMetricsServer({ host: '127.0.0.1', port: 0, allowedNetworks: ['10.0.0.0/8'] });
    try {
      const metrics = await fetch(`http://127.0.0.1:${open.address.port}/metrics`);
      const text = await metrics.text();
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toContain('text/plain');
      expect(text).toContain('# TYPE tandem_queue_job_runs_total counter');
      expect(text).toContain('tandem_nodejs_eventloop_lag_seconds');
      expect((await fetch(`http://127.0.0.1:${open.address.port}/ping`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${open.address.port}/api/cs/events`)).status).toBe(404);
      expect((await fetch(`http://127.0.0.1:${closed.address.port}/metrics`)).status).toBe(403);
    } finally {
      await open.close();
      await closed.close();
    }
  });
});
