import { QueryTypes } from 'sequelize';
import { Queues, type QueueDef } from '../../src/core/async';
import { createSequelize } from '../../src/core/db/mysql';
import { SCHEDULED_JOBS } from '../../scheduler/queue';
import { SLOW_JOBS } from '../fixtures/slow-queue';
import { testConfig } from '../helpers/app';
import { captureLogs } from '../helpers/log-capture';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { spawnServer, type ServerProcess } from '../helpers/process';
import { dropKeys, rawRedis } from '../helpers/redis';
import { waitFor, within } from '../helpers/wait';

// Child processes and commands start slowly on a loaded machine: the waits below are bounds against hanging, never
// speed assertions, and this lets them play out.
jest.setTimeout(90_000);

/** Every process a test spawned, killed after the file if a test left it running. */
const spawned: ServerProcess[] = [];
const prefixes: string[] = [];
const opened: Queues[] = [];
const redis = rawRedis();

beforeAll(() => {
  // This process's own lines (the migrations of a fresh database) stay out of the test output.
  captureLogs();
});

afterAll(async () => {
  for (const p of spawned) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  }
  for (const queues of opened) await queues.close(1000);
  for (const prefix of prefixes) await dropKeys(redis, prefix);
  redis.disconnect();
});

/** A Redis key prefix for one test, and Queues on it in this process (to enqueue and inspect). */
function ownQueues(defs: QueueDef<unknown>[]): { prefix: string; queues: Queues } {
  const prefix = freshRedisPrefix();
  prefixes.push(prefix);
  const queues = new Queues(testConfig({ redis: { key_prefix: prefix } }), defs);
  opened.push(queues);
  return { prefix, queues };
}

/** Starts a worker of test/fixtures/queue-worker.ts on the prefix with short lock and stalled-check times. */
function startWorker(prefix: string, env: Record<string, string> = {}): ServerProcess {
  const worker = spawnServer('test/fixtures/queue-worker.ts', {
    TANDEM_REDIS_KEY_PREFIX: prefix,
    TANDEM_QUEUE_LOCK_MS: '1000',
    TANDEM_QUEUE_STALLED_CHECK_MS: '1000',
    TANDEM_QUEUE_CONCURRENCY: '1',
    ...env,
  });
  spawned.push(worker);
  return worker;
}

/** The `marks` list the fixture's jobs write: "started|done:pid:mark". */
async function marks(prefix: string): Promise<string[]> {
  return redis.lrange(`${prefix}marks`, 0, -1);
}

function markBy(list: string[], what: 'started' | 'done', mark: string): number | undefined {
  const found = list.find((m) => m.startsWith(`${what}:`) && m.endsWith(`:${mark}`));
  return found === undefined ? undefined : Number(found.split(':')[1]);
}

describe('a worker killed with SIGKILL in the middle of a job', () => {
  it('when its job is still running, then another worker takes it over and completes it', async () => {
    const { prefix, queues } = ownQueues([SLOW_JOBS]);
    const workers = [startWorker(prefix), startWorker(prefix)];
    await Promise.all(workers.map((w) => w.logged('worker is running', 60000)));

    const id = await queues.enqueue(SLOW_JOBS, { mark: 'order-1', ms: 2500 });
    const firstPid = await waitFor(
      async () => markBy(await marks(prefix), 'started', 'order-1'),
      15000,
      'the job starting',
    );
    const first = workers.find((w) => w.child.pid === firstPid) as ServerProcess;
    const other = workers.find((w) => w.child.pid !== firstPid) as ServerProcess;
    first.child.kill('SIGKILL');
    const killed = await within(first.exited, 10000, 'the killed worker exiting');
    const donePid = await waitFor(
      async () => markBy(await marks(prefix), 'done', 'order-1'),
      30000,
      'the job completing on the other worker',
    );
    const state = await waitFor(
      async () => {
        const s = await (await queues.queue(SLOW_JOBS.name).getJob(id))?.getState();
        return s === 'completed' ? s : undefined;
      },
      10000,
      'the job being recorded as completed',
    );

    expect(killed).toEqual({ code: null, signal: 'SIGKILL' });
    expect(donePid).toBe(other.child.pid);
    expect(await marks(prefix)).toEqual([
      `started:${firstPid}:order-1`,
      `started:${other.child.pid}:order-1`,
      `done:${other.child.pid}:order-1`,
    ]);
    expect(state).toBe('completed');
  });
});

describe('a worker that gets SIGTERM while it runs a job', () => {
  it('when the job outlives the signal, then it completes, no new job is taken and the process exits 0', async () => {
    const { prefix, queues } = ownQueues([SLOW_JOBS]);
    // Two slots: one runs the slow job, the other would be free to take a new one.
    const worker = startWorker(prefix, { TANDEM_QUEUE_CONCURRENCY: '2' });
    await worker.logged('worker is running', 60000);

    const runningId = await queues.enqueue(SLOW_JOBS, { mark: 'running', ms: 2000 });
    await waitFor(async () => markBy(await marks(prefix), 'started', 'running'), 15000, 'the job starting');
    worker.child.kill('SIGTERM');
    await worker.logged('worker stopping: finishing running jobs', 60000);
    const afterId = await queues.enqueue(SLOW_JOBS, { mark: 'after', ms: 100 });
    const exit = await within(worker.exited, 20000, 'the worker exiting');

    expect(exit).toEqual({ code: 0, signal: null });
    expect(await marks(prefix)).toEqual([`started:${worker.child.pid}:running`, `done:${worker.child.pid}:running`]);
    const queue = queues.queue(SLOW_JOBS.name);
    expect(await (await queue.getJob(runningId))?.getState()).toBe('completed');
    expect(await (await queue.getJob(afterId))?.getState()).toBe('waiting');
    const messages = worker.logs.map((l) => l.message);
    // The job was still running when the worker took the signal.
    expect(messages.indexOf('stop signal received')).toBeGreaterThanOrEqual(0);
    expect(messages.indexOf('stop signal received')).toBeLessThan(messages.indexOf('slow job done'));
    expect(messages.indexOf('slow job done')).toBeLessThan(messages.indexOf('worker stopped'));
    expect(worker.logs.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  });
});

describe('make worker (src/worker.ts)', () => {
  it('when a tick of cs.daily_report is queued, then the worker runs it and SIGTERM stops it with exit 0', async () => {
    const db = await freshDatabase();
    try {
      const { prefix, queues } = ownQueues([SCHEDULED_JOBS]);
      const worker = spawnServer('src/worker.ts', {
        TANDEM_REDIS_KEY_PREFIX: prefix,
        TANDEM_MYSQL_DATABASE: db.database,
      });
      spawned.push(worker);
      await worker.logged('worker is running', 60000);

      // Due 06:30 on 2 March in Shanghai: the report of 1 March.
      const id = await queues.enqueue(
        SCHEDULED_JOBS,
        { name: 'cs.daily_report', scheduled_at: '2026-03-01T22:30:00.000Z' },
        { key: 'cs.daily_report:test' },
      );
      const job = await waitFor(
        async () => {
          // finishedOn and returnvalue are written together: checking the state with a second read
          // could find the job completed after this read took it still running (returnvalue null).
          const found = await queues.queue(SCHEDULED_JOBS.name).getJob(id);
          return found?.finishedOn ? found : undefined;
        },
        20000,
        'the queued tick completing',
      );
      worker.child.kill('SIGTERM');
      const exit = await within(worker.exited, 20000, 'the worker exiting');

      const sequelize = createSequelize(testConfig({ mysql: { database: db.database } }));
      const rows = await sequelize
        .query<{ report_date: string; dimension: string; dim_key: string; count: number }>(
          'SELECT report_date, dimension, dim_key, count FROM cs_daily_report',
          {
            type: QueryTypes.SELECT,
          },
        )
        .finally(() => sequelize.close());
      expect(job?.returnvalue).toBe('ok');
      expect(rows).toEqual([{ report_date: '2026-03-01', dimension: 'meta', dim_key: 'written', count: 0 }]);
      expect(exit).toEqual({ code: 0, signal: null });
    } finally {
      await db.drop();
    }
  });
});
