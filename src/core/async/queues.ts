import Bull from 'bull';
import type { Redis } from 'ioredis';
import type { Config } from '../config';
import { acknowledgedByReplicas, type BullConnection, redisConnection, replicaWaitOf } from '../db/redis';
import { currentRequestId } from '../ctx';
import { logger } from '../log';
import { outages } from '../log/outage';
import { statsd } from '../monitor';
import { queueProcessed, watchQueues } from '../monitor/dependency-metrics';
import { traceEnqueue } from '../trace';
import { EnqueueJournal } from './enqueue-journal';
import { clientsOf, catchWorkerNaming, stopWaitingForJobs } from './bull-internals';
import { jobRunner, type Processor } from './job-run';
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

export type { JobInfo, Processor } from './job-run';

export interface FailedJob {
  id: string;
  attempts: number;
  error: string;
  failed_at: string | null;
  payload: unknown;
  request_id: string | undefined;
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
    const done = this.config.redis.wait_replicas > 0 ? new RecentlyDone() : undefined;
    // Bull's promise settles when processing ends. A close that comes before the queue's blocking connection is
    // ready rejects it (with no reason): that is the stop asked for, not a failure. Anything else is said once.
    const processing = queue.process(concurrency, jobRunner(def, processor, done));
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
