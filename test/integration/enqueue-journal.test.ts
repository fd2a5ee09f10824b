import type Bull from 'bull';
import { defineQueue, type JobEnvelope, Queues } from '../../src/core/async';
import { EnqueueJournal } from '../../src/core/async/enqueue-journal';
import { testConfig } from '../helpers/app';
import { freshRedisPrefix } from '../helpers/db';
import { dropKeys, rawRedis } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

// The waits are bounds against hanging on a loaded machine, never speed assertions.
jest.setTimeout(60_000);

const prefix = freshRedisPrefix();
const config = testConfig({ redis: { key_prefix: prefix } });
const redis = rawRedis();
const JOBS = defineQueue<{ n: number }>({ name: 'journal-jobs', attempts: 3, backoffMs: 100, timeoutMs: 5000 });
const queues = new Queues(config, [JOBS]);
const runs: number[] = [];

/** What Queues.enqueue adds and keeps for a replay: the envelope and the job id. */
function keyed(n: number): { key: string; data: JobEnvelope<{ n: number }>; options: Bull.JobOptions } {
  const key = `journal-job-${n}-${process.pid}`;
  return {
    key,
    data: { payload: { n }, meta: { request_id: `req-${n}`, enqueued_at: new Date().toISOString() } },
    options: { jobId: key },
  };
}

/** Bull's own lock-and-read of a job by id, as a worker runs it after popping that id (Queue#moveToActive). */
function lockById(queue: Bull.Queue, id: string): Promise<unknown> {
  return (queue as unknown as { moveToActive: (jobId: string) => Promise<unknown> }).moveToActive(id);
}

beforeAll(() => {
  queues.process(JOBS, 1, (payload) => Promise.resolve(void runs.push(payload.n)));
});

afterAll(async () => {
  await queues.close(1000);
  await dropKeys(redis, prefix);
  redis.disconnect();
});

describe('the replay of recent keyed jobs after Redis changed primary', () => {
  it('when a worker locked a job by an id popped from the old primary, which left a hash without data on the new one, then the replay brings the job back and it runs', async () => {
    const queue = queues.queue(JOBS.name);
    const journal = new EnqueueJournal(10_000);
    const job = keyed(1);
    // Acknowledged on the old primary only: the new one never had it.
    journal.add(job.key, job.data, job.options);
    await lockById(queue, job.key);
    const hollow = await redis.hgetall(queue.toKey(job.key));
    expect(Object.keys(hollow)).toContain('processedOn');
    expect(hollow.data).toBeUndefined();

    await journal.replay(queue);

    await waitFor(() => (runs.includes(1) ? true : undefined), 20000, 'the replayed job to run');
    expect(runs.filter((n) => n === 1)).toEqual([1]);
    const stored = await queue.getJob(job.key);
    expect(stored?.data).toEqual(job.data);
    expect(await stored?.getState()).toBe('completed');
  });

  it('when the job survived and already ran, then the replay changes nothing and it does not run again', async () => {
    const queue = queues.queue(JOBS.name);
    const journal = new EnqueueJournal(10_000);
    const job = keyed(2);
    await queue.add(job.data, job.options);
    journal.add(job.key, job.data, job.options);
    await waitFor(() => (runs.includes(2) ? true : undefined), 20000, 'the job to run');
    const finishedOn = (await queue.getJob(job.key))?.finishedOn;

    await journal.replay(queue);
    // A marker enqueued after the replay runs after anything the replay added (one job at a time, in order).
    await queue.add(keyed(3).data, keyed(3).options);
    await waitFor(() => (runs.includes(3) ? true : undefined), 20000, 'the marker job to run');

    expect(runs.filter((n) => n === 2)).toEqual([2]);
    const stored = await queue.getJob(job.key);
    expect(stored?.data).toEqual(job.data);
    expect(stored?.finishedOn).toBe(finishedOn);
  });
});
