import Bull from 'bull';
import type { Redis } from 'ioredis';
import type { Config } from '../config';
import { acknowledgedByReplicas, type BullConnection, redisConnection, replicaWaitOf } from '../db/redis';
import { currentRequestId, newContext, runWithContext } from '../ctx';
import { logger } from '../log';
import { outages } from '../log/outage';
import { statsd } from '../monitor';
import { queueJobRun, queueProcessed, watchQueues } from '../monitor/dependency-metrics';
import { traceEnqueue, traceJobRun } from '../trace';
import { EnqueueJournal } from './enqueue-journal';
import { RecentlyDone } from './recently-done';

/** A named queue and how its jobs are retried. `P` is the payload type. */
export interface QueueDef<P> {
  readonly name: string;
  /** Tries in all, the first included. */
  readonly attempts: number;
  /**
   * Backoff unit in ms (Bull's exponential backoff): the n-th retry waits
   * (2^n - 1) x backoffMs after the failure before it, so 1x, 3x, 7x, ...
   */
  readonly backoffMs: number;
  /** A run longer than this fails (and is retried). */
  readonly timeoutMs: number;
  /** Compile-time only: ties the payload type to the definition. */
  readonly payload?: P;
}

export function defineQueue<P>(def: Omit<QueueDef<P>, 'payload'>): QueueDef<P> {
  return def;
}

/** How long a keyed job is kept for a replay after a failover (see EnqueueJournal), with replicas asked for. */
const JOURNAL_MS = 10_000;
/**
 * How long a worker remembers the keyed jobs it finished (RecentlyDone), with replicas asked for: a completion
 * lost in a failover brings the job back by the replay (within JOURNAL_MS) or by Bull's stalled check (every
 * 30 s by default).
 */
const DONE_MEMORY_MS = 75_000;

/** What a job carries: the payload and where it came from. */
export interface JobEnvelope<P> {
  payload: P;
  meta: {
    request_id: string | undefined;
    enqueued_at: string;
    /** The W3C trace context of the enqueue's span, with tracing on: each run of the job continues its trace. */
    traceparent?: string;
    tracestate?: string;
  };
}

/** A Bull processor whose every try runs in a span continuing the trace of the enqueue (core/trace). */
function tracedRun<P, R>(
  queue: string,
  handle: (job: Bull.Job<JobEnvelope<P>>) => Promise<R>,
): (job: Bull.Job<JobEnvelope<P>>) => Promise<R> {
  return (job) =>
    traceJobRun({ queue, id: String(job.id), attempt: job.attemptsMade + 1 }, job.data.meta, () => handle(job));
}

export interface JobInfo {
  id: string;
  attempt: number;
  queue: string;
}

export type Processor<P> = (payload: P, job: JobInfo) => Promise<unknown>;

export interface FailedJob {
  id: string;
  attempts: number;
  error: string;
  failed_at: string | null;
  payload: unknown;
  request_id: string | undefined;
}

/** A queue's connections, as our ioredis types them: Bull's typings name those of its own nested copy. */
function clientsOf(queue: Bull.Queue): Redis[] {
  return queue.clients as unknown as Redis[];
}

/** What Bull keeps of the connection that waits for new jobs; its typings leave it out. */
interface BlockingConnection {
  bclientInitialized?: boolean;
  bclient?: { disconnect: () => void };
}

/**
 * Makes a closing queue take no new job at once. Bull ends the blocking
 * BRPOPLPUSH that waits for jobs with QUIT, which Redis reads only after that
 * pop returns, so for up to half a second a job enqueued during the stop
 * could still be taken. Cutting the connection ends the wait now; a job popped
 * in that instant sits unlocked in `active` and the stalled-job check gives
 * it to another worker. Call it after `queue.close()`, which marks the queue
 * as closing so that Bull takes the cut as expected.
 */
function stopWaitingForJobs(queue: Bull.Queue): void {
  const internals = queue as unknown as BlockingConnection;
  if (internals.bclientInitialized) internals.bclient?.disconnect();
}

/** What Bull keeps of the call that names the blocking connection; its typings leave it out. */
interface WorkerNaming {
  setWorkerName: () => Promise<void>;
}

/**
 * Bull 4 names a queue's blocking connection (CLIENT SETNAME) when a processor is set and drops the promise; a
 * close that cuts that connection before the answer rejects it with "Connection is closed" and nobody to catch
 * it, which ended the queue worker with an unhandled rejection on a SIGTERM just after start. The rejection is
 * caught here: ignored while closing, said once otherwise.
 */
function catchWorkerNaming(queue: Bull.Queue, closing: () => boolean): void {
  const naming = queue as unknown as WorkerNaming;
  const setWorkerName = naming.setWorkerName.bind(queue);
  naming.setWorkerName = () =>
    setWorkerName().catch((err: unknown) => {
      if (closing()) return;
      logger.warn('Bull could not name its Redis connection; the queue works on without it', {
        queue: queue.name,
        error: err instanceof Error ? err.message : String(err),
      });
    });
}

/**
 * Named Bull queues on the configured Redis. Services enqueue through
 * `enqueue` with a typed payload and an optional idempotency key (a stable
 * job id: enqueuing twice runs once while the first job is kept). Failed
 * jobs stay in the failed set for a person to inspect and retry.
 */
export class Queues {
  private readonly queues = new Map<string, Bull.Queue>();
  private readonly defs = new Map<string, QueueDef<unknown>>();
  private readonly journals = new Map<string, EnqueueJournal>();
  private gaugeTimer: NodeJS.Timeout | undefined;
  /** Set by close(): what a queue reports after it (a connection cut on purpose) is not an outage. */
  private closing = false;
  /** Stops the Prometheus gauge reading this instance's queue depths. */
  private readonly unwatch: () => void;

  constructor(
    private readonly config: Config,
    defs: QueueDef<unknown>[],
  ) {
    for (const def of defs) this.defs.set(def.name, def);
    this.unwatch = watchQueues(() => this.counts());
  }

  /** Jobs by state in each queue this process has opened, as the queue-depth gauge reads them at scrape. */
  private async counts(): Promise<Map<string, Record<string, number>>> {
    const entries = await Promise.all(
      [...this.queues].map(async ([name, queue]) => [name, { ...(await queue.getJobCounts()) }] as const),
    );
    return new Map(entries);
  }

  private def(name: string): QueueDef<unknown> {
    const def = this.defs.get(name);
    if (!def) throw new Error(`There is no queue named ${name}; known: ${[...this.defs.keys()].join(', ')}.`);
    return def;
  }

  /** The Bull queue of a name, created on first use. */
  queue(name: string): Bull.Queue {
    const def = this.def(name);
    let queue = this.queues.get(name);
    if (!queue) {
      // Bull's three connections come from the one factory, so they follow a Sentinel failover like the app's.
      // Bull neither lists nor closes connections it did not create: they are added to its list for both.
      const made: Redis[] = [];
      const owner: { queue?: Bull.Queue } = {};
      const createClient = (type: BullConnection): Redis => {
        const client = redisConnection(this.config, `bull:${def.name}:${type}`, type);
        if (owner.queue) clientsOf(owner.queue).push(client);
        else made.push(client);
        return client;
      };
      queue = new Bull(def.name, {
        createClient: createClient as unknown as Bull.QueueOptions['createClient'],
        prefix: `${this.config.redis.key_prefix}bull`,
        settings: {
          lockDuration: this.config.queue.lock_ms,
          lockRenewTime: Math.floor(this.config.queue.lock_ms / 2),
          stalledInterval: this.config.queue.stalled_check_ms,
          maxStalledCount: 2,
        },
        defaultJobOptions: {
          attempts: def.attempts,
          backoff: { type: 'exponential', delay: def.backoffMs },
          timeout: def.timeoutMs,
          removeOnComplete: { age: this.config.queue.keep_completed_seconds },
          removeOnFail: false,
        },
      });
      owner.queue = queue;
      clientsOf(queue).push(...made);
      // Each of a queue's connections reports every failed reconnection: told once per Redis outage instead.
      queue.on('error', (err: Error | undefined) => {
        if (!this.closing) outages.down('redis', err ?? new Error('The queue lost its Redis connection.'));
      });
      catchWorkerNaming(queue, () => this.closing);
      // The queue's command connection (Bull creates it at construction) says when Redis answers again.
      // Each ready after the first is a reconnection, possibly to a new primary: recent keyed jobs are added again.
      const journal = new EnqueueJournal(this.config.redis.wait_replicas > 0 ? JOURNAL_MS : 0);
      this.journals.set(name, journal);
      let readyBefore = false;
      queue.client.on('ready', () => {
        outages.up('redis');
        if (readyBefore && owner.queue && !this.closing) void journal.replay(owner.queue);
        readyBefore = true;
      });
      this.queues.set(name, queue);
    }
    return queue;
  }

  /**
   * Adds a job. With `key`, the job id is `key`: while a job with that id is
   * kept (waiting, running, failed, or finished within keep_completed_seconds)
   * another enqueue with it adds nothing.
   */
  async enqueue<P>(def: QueueDef<P>, payload: P, options: { key?: string; delayMs?: number } = {}): Promise<string> {
    const envelope: JobEnvelope<P> = {
      payload,
      meta: { request_id: currentRequestId(), enqueued_at: new Date().toISOString() },
    };
    const queue = this.queue(def.name);
    const jobOptions: Bull.JobOptions = {
      ...(options.key === undefined ? {} : { jobId: options.key }),
      ...(options.delayMs === undefined ? {} : { delay: options.delayMs }),
    };
    let added: JobEnvelope<P> = envelope;
    const job = await traceEnqueue(def.name, (trace) => {
      added = trace ? { ...envelope, meta: { ...envelope.meta, ...trace } } : envelope;
      return queue.add(added, jobOptions);
    });
    // A job only the primary holds is lost if it fails over now: not acknowledged by a replica, the enqueue fails
    // (the caller may try again: with a key, a job that did survive is not added twice).
    if (!(await acknowledgedByReplicas(queue.client as unknown as Redis, replicaWaitOf(this.config)))) {
      throw new Error(
        `Job ${String(job.id)} of queue ${def.name} was not acknowledged by ${this.config.redis.wait_replicas} Redis replica(s) within ${this.config.redis.wait_timeout_ms} ms; enqueue it again.`,
      );
    }
    this.journals.get(def.name)?.add(options.key, added, jobOptions);
    statsd.increment(`queue.${def.name}.enqueued`);
    return String(job.id);
  }

  /**
   * Runs `processor` for each job of the queue. Every log line the job writes
   * carries the request id of the request that enqueued it.
   */
  process<P>(def: QueueDef<P>, concurrency: number, processor: Processor<P>): void {
    const queue = this.queue(def.name);
    queueProcessed(def.name);
    const done = this.config.redis.wait_replicas > 0 ? new RecentlyDone(DONE_MEMORY_MS) : undefined;
    // Bull's promise settles when processing ends. A close that comes before the queue's blocking connection is
    // ready rejects it (with no reason): that is the stop asked for, not a failure. Anything else is said once.
    const handle = async (job: Bull.Job<JobEnvelope<P>>): Promise<unknown> => {
      // Bull's typings promise data; a job locked by an id popped from a primary that was just replaced has none
      // (see EnqueueJournal): said plainly rather than as a TypeError, and failed.
      if ((job.data as JobEnvelope<P> | Record<string, never>).meta === undefined) {
        logger.warn('a job came without its data: its id was taken from the old Redis primary during a failover', {
          queue: def.name,
          job_id: job.id,
        });
        throw new Error(`Job ${String(job.id)} of queue ${def.name} has no data on this Redis primary.`);
      }
      const { payload, meta } = job.data;
      const key = job.opts.jobId === undefined ? undefined : String(job.opts.jobId);
      const ago = key === undefined ? undefined : done?.finishedAgo(key);
      if (ago !== undefined) {
        logger.warn('a keyed job this worker finished came back after a Redis failover; it is not run again', {
          queue: def.name,
          job_id: job.id,
          finished_ms_ago: ago,
        });
        statsd.increment(`queue.${def.name}.not_run_twice`);
        return undefined;
      }
      const ctx = newContext('job', meta.request_id, `queue:${def.name}`);
      return runWithContext(ctx, async () => {
        const started = Date.now();
        const attempt = job.attemptsMade + 1;
        if (job.processedOn) statsd.timing(`queue.${def.name}.wait`, Math.max(0, job.processedOn - job.timestamp));
        try {
          const result = await processor(payload, { id: String(job.id), attempt, queue: def.name });
          if (key !== undefined) done?.finished(key);
          statsd.timing(`queue.${def.name}.run.ok`, Date.now() - started);
          queueJobRun(def.name, 'ok', (Date.now() - started) / 1000);
          logger.info('job done', { queue: def.name, job_id: job.id, attempt, duration_ms: Date.now() - started });
          return result;
        } catch (err) {
          const error = err instanceof Error ? err : new Error(String(err));
          statsd.timing(`queue.${def.name}.run.failed`, Date.now() - started);
          statsd.increment(`queue.${def.name}.failed`);
          const last = attempt >= def.attempts;
          queueJobRun(def.name, last ? 'failed' : 'retry', (Date.now() - started) / 1000);
          logger[last ? 'error' : 'warn'](
            last ? 'job failed for good; it is in the failed set' : 'job failed; it will be retried',
            {
              queue: def.name,
              job_id: job.id,
              attempt,
              attempts: def.attempts,
              error: error.message,
              stack: last ? error.stack : undefined,
            },
          );
          throw error;
        }
      });
    };
    const processing = queue.process(concurrency, tracedRun(def.name, handle));
    processing.catch((err: unknown) => {
      if (this.closing) return;
      logger.error('a queue stopped taking jobs; restart the worker once Redis answers', {
        queue: def.name,
        error: err instanceof Error ? err.message : String(err),
      });
    });
  }

  /** Failed jobs of a queue, newest first. */
  async failed(name: string, limit = 50): Promise<FailedJob[]> {
    const jobs = (await this.queue(name).getFailed(0, limit - 1)) as Bull.Job<JobEnvelope<unknown>>[];
    return jobs.map((job) => ({
      id: String(job.id),
      attempts: job.attemptsMade,
      error: job.failedReason ?? '',
      failed_at: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
      payload: job.data.payload,
      request_id: job.data.meta.request_id,
    }));
  }

  /**
   * Puts a failed job back in the queue for one more try. Bull keeps the
   * count of attempts made, so a retried job that fails again goes straight
   * back to the failed set (no further backoff retries).
   */
  async retry(name: string, id: string): Promise<void> {
    const job = await this.queue(name).getJob(id);
    if (!job) throw new Error(`There is no job ${id} in queue ${name}.`);
    if (!(await job.isFailed()))
      throw new Error(`Job ${id} in queue ${name} has not failed; only failed jobs can be retried.`);
    await job.retry();
  }

  /** Sends queue depths to statsd every `everyMs`. */
  startGauges(everyMs = 10_000): void {
    this.gaugeTimer = setInterval(() => {
      for (const [name, queue] of this.queues) {
        queue
          .getJobCounts()
          .then((counts) => {
            for (const [state, n] of Object.entries(counts)) statsd.gauge(`queue.${name}.${state}`, Number(n));
          })
          .catch(() => undefined);
      }
    }, everyMs);
    this.gaugeTimer.unref();
  }

  /**
   * Stops taking jobs and lets running ones finish within the deadline, then
   * closes the connections. A job cut off at the deadline is taken over by
   * another worker once its lock expires.
   */
  async close(deadlineMs: number): Promise<void> {
    this.closing = true;
    this.unwatch();
    if (this.gaugeTimer) clearInterval(this.gaugeTimer);
    await Promise.all(
      [...this.queues.values()].map(async (queue) => {
        let timer: NodeJS.Timeout | undefined;
        const gentle = queue.close(false);
        stopWaitingForJobs(queue);
        const timeout = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), deadlineMs);
        });
        const outcome = await Promise.race([gentle.then(() => 'closed' as const), timeout]);
        clearTimeout(timer);
        if (outcome === 'timeout') {
          logger.warn('jobs still running at the stop deadline; they will be retried by another worker', {
            queue: queue.name,
          });
          // queue.close(true) would return the pending gentle close, which waits for the jobs: cut the connections
          // instead, so the job's lock is no longer renewed and expires for another worker to take the job over.
          for (const client of queue.clients) client.disconnect();
        }
      }),
    );
    this.queues.clear();
  }
}
