import { defineQueue, Queues, type QueueDef } from '../../src/core/async';
import { newContext, runWithContext } from '../../src/core/ctx';
import { logger } from '../../src/core/log';
import { testConfig } from '../helpers/app';
import { runCommand } from '../helpers/command';
import { freshRedisPrefix } from '../helpers/db';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { dropKeys, rawRedis } from '../helpers/redis';
import { deferred, waitFor, within } from '../helpers/wait';

// Child processes and commands start slowly on a loaded machine: the waits below are bounds against hanging, never
// speed assertions, and this lets them play out.
jest.setTimeout(90_000);

const prefix = freshRedisPrefix();
const config = testConfig({ redis: { key_prefix: prefix } });
const redis = rawRedis();
const opened: Queues[] = [];
let logs: LogCapture;

function queuesOf(...defs: QueueDef<unknown>[]): Queues {
  const queues = new Queues(config, defs);
  opened.push(queues);
  return queues;
}

/** `npm run jobs -- ARGS` as an operator types it, against this file's Redis prefix. */
function jobsCommand(...args: string[]): ReturnType<typeof runCommand> {
  return runCommand('npm', ['run', '--silent', 'jobs', '--', ...args], { TANDEM_REDIS_KEY_PREFIX: prefix });
}

beforeAll(() => {
  logs = captureLogs();
});

afterAll(async () => {
  for (const queues of opened) await queues.close(1000);
  await dropKeys(redis, prefix);
  redis.disconnect();
});

describe('enqueue with an idempotency key', () => {
  it('when a job is enqueued twice with one key, before and after it ran, then it runs once', async () => {
    const def = defineQueue<{ what: string }>({ name: 'dedupe', attempts: 1, backoffMs: 100, timeoutMs: 5000 });
    const queues = queuesOf(def);
    const runs: string[] = [];

    const first = await queues.enqueue(def, { what: 'order-1' }, { key: 'order-1' });
    const second = await queues.enqueue(def, { what: 'order-1 again' }, { key: 'order-1' });
    await queues.enqueue(def, { what: 'marker-1' });
    queues.process(def, 1, (payload) => {
      runs.push(payload.what);
      return Promise.resolve();
    });
    // One at a time, in order: once a marker enqueued after a job has run, that job has run too.
    await waitFor(() => (runs.includes('marker-1') ? true : undefined), 10000, 'the first marker job');
    const third = await queues.enqueue(def, { what: 'order-1 after it ran' }, { key: 'order-1' });
    await queues.enqueue(def, { what: 'marker-2' });
    await waitFor(() => (runs.includes('marker-2') ? true : undefined), 10000, 'the second marker job');

    expect([first, second, third]).toEqual(['order-1', 'order-1', 'order-1']);
    expect(runs).toEqual(['order-1', 'marker-1', 'marker-2']);
  });
});

describe('a job that fails', () => {
  const def = defineQueue<{ order: number }>({ name: 'flaky', attempts: 4, backoffMs: 300, timeoutMs: 5000 });
  const tries: { at: number; attempt: number }[] = [];
  const completed: number[] = [];
  let fixed = false;
  let queues: Queues;
  let jobId: string;

  beforeAll(() => {
    queues = queuesOf(def);
    queues.process(def, 1, (payload, job) => {
      tries.push({ at: Date.now(), attempt: job.attempt });
      if (!fixed) return Promise.reject(new Error(`Order ${payload.order} could not be reported: zeus is down.`));
      completed.push(payload.order);
      return Promise.resolve();
    });
  });

  it('when it fails every time, then it is retried with growing backoff and lands in the failed set after its attempts', async () => {
    jobId = await queues.enqueue(def, { order: 7001 });

    const failed = await waitFor(
      async () => (await queues.failed(def.name)).find((j) => j.id === jobId),
      30000,
      'the job reaching the failed set',
    );

    expect(tries.map((t) => t.attempt)).toEqual([1, 2, 3, 4]);
    const gaps = tries.slice(1).map((t, i) => t.at - (tries[i] as { at: number }).at);
    // Bull waits (2^n - 1) x backoffMs before the n-th retry: 300, 900, 2100 ms at least.
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual((2 ** (i + 1) - 1) * def.backoffMs));
    expect(gaps[1]).toBeGreaterThan(gaps[0] as number);
    expect(gaps[2]).toBeGreaterThan(gaps[1] as number);
    expect(failed).toMatchObject({
      attempts: 4,
      error: 'Order 7001 could not be reported: zeus is down.',
      payload: { order: 7001 },
    });
    expect(completed).toEqual([]);
  });

  it('when an operator lists failed jobs and retries it by command, then it runs again and completes', async () => {
    const listed = await jobsCommand('failed', def.name);
    fixed = true;
    const retried = await jobsCommand('retry', def.name, jobId);
    await waitFor(() => (completed.length > 0 ? true : undefined), 10000, 'the retried job completing');

    expect(listed.code).toBe(0);
    const line = listed.stdout.split('\n').find((l) => l.startsWith(`${jobId}\t`));
    expect(line).toContain('attempts=4');
    expect(line).toContain('error=Order 7001 could not be reported: zeus is down.');
    expect(line).toContain('payload={"order":7001}');
    // A queue the app does not declare is read anyway, with a warning naming the app's queues.
    expect(listed.stderr).toMatch(
      /Warning: flaky is not one of the app's queues \(.*scheduled-jobs.*\); reading it anyway/,
    );
    expect(retried).toMatchObject({ code: 0, stdout: `Job ${jobId} is back in flaky.\n` });
    expect(completed).toEqual([7001]);
    // One more try: Bull keeps counting attempts, so a retried job that failed again would go straight back.
    expect(tries.map((t) => t.attempt)).toEqual([1, 2, 3, 4, 5]);
    expect(
      await queues
        .queue(def.name)
        .getJob(jobId)
        .then((j) => j?.getState()),
    ).toBe('completed');
    expect(await queues.failed(def.name)).toEqual([]);
  });
});

describe('the request id of the enqueuing request', () => {
  it('when a job enqueued inside a request logs, fails once and is retried, then every line it writes carries that request id', async () => {
    const def = defineQueue<{ event: number }>({ name: 'traced', attempts: 2, backoffMs: 50, timeoutMs: 5000 });
    const queues = queuesOf(def);
    const done = deferred();
    queues.process(def, 1, async (payload, job) => {
      logger.info('traced job started', { event: payload.event });
      await new Promise((resolve) => setTimeout(resolve, 20));
      logger.warn('traced job is halfway', { event: payload.event });
      if (job.attempt === 1) throw new Error('The first try fails on purpose.');
      done.resolve();
    });

    const id = await runWithContext(newContext('http', 'req-123'), () => queues.enqueue(def, { event: 42 }));
    await within(done.promise, 10000, 'the traced job succeeding');
    const last = await logs.find((l) => l.message === 'job done' && l.queue === def.name && l.job_id === id, 5000);

    const written = logs.lines.filter(
      (l) => (l.queue === def.name && l.job_id === id) || String(l.message).startsWith('traced job'),
    );
    expect(written.map((l) => l.message)).toEqual([
      'traced job started',
      'traced job is halfway',
      'job failed; it will be retried',
      'traced job started',
      'traced job is halfway',
      'job done',
    ]);
    for (const line of written) expect(line).toMatchObject({ request_id: 'req-123', caller: 'queue:traced' });
    expect(last).toMatchObject({ attempt: 2 });
  });
});

describe('close(deadline)', () => {
  it('when a running job outlasts the deadline, then close still returns and the job is left for another worker', async () => {
    const def = defineQueue<{ n: number }>({ name: 'stuck', attempts: 1, backoffMs: 100, timeoutMs: 60000 });
    const queues = new Queues(config, [def]);
    const started = deferred();
    const never = deferred();
    queues.process(def, 1, async () => {
      started.resolve();
      await never.promise;
    });
    await queues.enqueue(def, { n: 1 });
    await within(started.promise, 10000, 'the stuck job starting');

    await within(queues.close(300), 10000, 'close(300) with a job still running');
    const counts = await queuesOf(def).queue(def.name).getJobCounts();
    never.resolve();

    expect(
      logs.lines.find(
        (l) => l.message === 'jobs still running at the stop deadline; they will be retried by another worker',
      ),
    ).toMatchObject({
      queue: 'stuck',
    });
    expect(counts).toMatchObject({ active: 1, completed: 0, failed: 0 });
  });
});
