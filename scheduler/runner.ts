import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import cron, { type ScheduledTask } from 'node-cron';
import { type HeldLock, RedisLock } from '../src/core/db/lock';
import { newContext, runWithContext } from '../src/core/ctx';
import { logger } from '../src/core/log';
import { statsd } from '../src/core/monitor';
import { schedulerStarted, schedulerTicked, timedJobRun } from '../src/core/monitor/dependency-metrics';
import { claimTick } from './tick-claim';
import { traceTimedJob } from '../src/core/trace';
import { DependencyUnavailable, type JobSetting, type Outcome, type SchedulerOptions } from './job-types';

export {
  DependencyUnavailable,
  type EnqueueTick,
  type JobRun,
  type JobSetting,
  type Outcome,
  type SchedulerOptions,
} from './job-types';

/** How often a late tick looks again whether the run before it has ended. */
const LATE_TICK_POLL_MS = 100;

/** Seconds between a task's next two ticks, for the scheduler-not-ticking alert; undefined if it cannot tell. */
function intervalSeconds(task: ScheduledTask): number | undefined {
  const [next, after] = task.getNextRuns(2);
  return next && after ? (after.getTime() - next.getTime()) / 1000 : undefined;
}

/**
 * Runs timed jobs so that each tick runs on exactly one instance across all
 * servers and a job never overlaps a still-running previous run of itself:
 *
 * - the tick is claimed with SET NX on `scheduler:tick:<job>:<due second>`,
 *   which every instance computes alike from the cron schedule, and counts
 *   once replicas acknowledged it (see claimTick: safe across a failover);
 * - the run holds `scheduler:running:<job>`, a lock with an owner token and
 *   an expiry past the job's timeout, released only by its owner.
 *
 * Each run is logged with its duration and outcome and timed into statsd as
 * `job.<name>.<outcome>`; a job that throws is logged with its stack and the
 * scheduler goes on. A disabled job (jobs.<domain>.<job>.enabled false) still
 * ticks on its schedule, and each tick is recorded as `skipped_disabled`
 * without claiming or running anything: the switch shows in the log and the
 * metrics rather than as a job that silently never runs.
 */
export class Scheduler<D> {
  private readonly tasks: ScheduledTask[] = [];
  private readonly running = new Set<Promise<unknown>>();
  private readonly lock: RedisLock;

  constructor(
    private readonly redis: Redis,
    private readonly jobs: JobSetting<D>[],
    private readonly deps: D,
    private readonly options: SchedulerOptions,
  ) {
    this.lock = new RedisLock(redis);
    for (const job of jobs) {
      if (!cron.validate(job.cron)) throw new Error(`Job ${job.name} has an invalid cron expression "${job.cron}".`);
    }
  }

  start(): void {
    for (const job of this.jobs) {
      const task = cron.schedule(
        job.cron,
        (context) => {
          schedulerTicked(job.name);
          // A tick must never reject unhandled: that would end the process, and with it every other job.
          const run = this.tick(job, context.date).catch((err: unknown) => {
            const error = err instanceof Error ? err : new Error(String(err));
            logger.error('scheduler tick failed; the next tick will try again', {
              job: job.name,
              error: error.message,
              stack: error.stack,
            });
          });
          this.running.add(run);
          void run.finally(() => this.running.delete(run));
        },
        { name: job.name, timezone: job.timezone, suppressMissedWarning: true },
      );
      this.tasks.push(task);
      schedulerStarted(job.name, intervalSeconds(task));
    }
    logger.info('scheduler started', {
      jobs: this.jobs.filter((j) => j.enabled).map((j) => `${j.name} (${j.cron} ${j.timezone})`),
      disabled: this.jobs.filter((j) => !j.enabled).map((j) => j.name),
    });
  }

  /** Stops scheduling and waits (bounded) for runs in progress. */
  async stop(deadlineMs: number): Promise<void> {
    for (const task of this.tasks) await task.destroy();
    this.tasks.length = 0;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, deadlineMs);
      }),
    ]);
    clearTimeout(timer);
  }

  private find(name: string): JobSetting<D> {
    const job = this.jobs.find((j) => j.name === name);
    if (!job) throw new Error(`There is no job named ${name}; known: ${this.jobs.map((j) => j.name).join(', ')}.`);
    return job;
  }

  /** One scheduled tick of a job: claim it, then run (or enqueue) it. */
  async tick(job: JobSetting<D>, due: Date): Promise<Outcome> {
    if (!job.enabled) return this.record(job, 'skipped_disabled', 0);
    const dueSecond = Math.floor(due.getTime() / 1000);
    const claim = await claimTick(this.redis, `scheduler:tick:${job.name}:${dueSecond}`, {
      lockMs: this.options.tickLockMs,
      retryMs: this.options.claimRetryMs ?? 500,
      attempts: this.options.claimAttempts ?? 20,
      replicas: this.options.replicas ?? { replicas: 0, timeoutMs: 0 },
    });
    if (claim.outcome === 'unclaimed') {
      logger.warn('scheduler could not claim a tick; skipping it', { job: job.name, error: claim.error });
      return this.record(job, 'skipped_unclaimed', 0);
    }
    if (claim.outcome === 'taken') return this.record(job, 'skipped_tick_taken', 0);
    const scheduledAt = new Date(dueSecond * 1000);
    // A tick claimed only after retries (Redis was away) is claimed at the same moment as the ticks due after it.
    const late = Date.now() - scheduledAt.getTime() > (this.options.claimRetryMs ?? 500);
    if (job.mode === 'queue' && this.options.enqueue) {
      const started = Date.now();
      try {
        await this.options.enqueue(job.name, `${job.name}:${dueSecond}`, scheduledAt);
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        logger.error('job could not be queued; this tick is skipped', {
          job: job.name,
          error: error.message,
          stack: error.stack,
        });
        return this.record(job, 'failed', Date.now() - started);
      }
      return this.record(job, 'queued', Date.now() - started);
    }
    return this.execute(job, scheduledAt, late);
  }

  /**
   * Runs a job once now (npm run job -- NAME, or a queued tick), under the
   * same no-overlap lock. A disabled job is `skipped_disabled` unless `force`
   * (npm run job -- NAME --force): a tick queued before the switch went off
   * does not run.
   */
  runNow(name: string, scheduledAt = new Date(), options: { force?: boolean } = {}): Promise<Outcome> {
    const job = this.find(name);
    if (!job.enabled && !options.force) return Promise.resolve(this.record(job, 'skipped_disabled', 0));
    return this.execute(job, scheduledAt);
  }

  /** One run of a job, in a span of its own with tracing on (core/trace). */
  private execute(job: JobSetting<D>, scheduledAt: Date, late = false): Promise<Outcome> {
    return traceTimedJob(
      job.name,
      () => this.executeHeld(job, scheduledAt, late),
      (outcome) => outcome,
    );
  }

  /**
   * Runs the job under its no-overlap lock. A late tick (see tick) that finds the job running waits for that
   * run to end, up to the job's timeout, before it is skipped: after a Redis outage the ticks due during it are
   * claimed together, and the second found the first running and was skipped (1 or 2 ticks in every SIGKILL
   * fault run). Waiting once, a claim retry long, still lost one now and then: the first run's end (its lock's
   * release, retried through the failover) can take longer than that.
   */
  private async executeHeld(job: JobSetting<D>, scheduledAt: Date, late = false): Promise<Outcome> {
    let held = await this.acquireRunning(job);
    const waitUntil = Date.now() + job.timeoutMs;
    while (!held && late && Date.now() < waitUntil) {
      await new Promise((resolve) => setTimeout(resolve, LATE_TICK_POLL_MS));
      held = await this.acquireRunning(job);
    }
    if (!held) return this.record(job, 'skipped_overlap', 0);
    const ctx = newContext('job', undefined, `job:${job.name}`);
    return runWithContext(ctx, async () => {
      const started = Date.now();
      const abort = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      // A job that throws before returning its promise fails like one that rejects, and releases the lock.
      const work = Promise.resolve().then(() => job.run(this.deps, { scheduledAt, signal: abort.signal }));
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), job.timeoutMs);
      });
      let outcome: Outcome;
      let result: unknown;
      try {
        const first = await Promise.race([work.then((r) => ({ r })), timeout]);
        if (first === 'timeout') {
          abort.abort(new Error(`job ${job.name} timed out after ${job.timeoutMs} ms`));
          outcome = 'timeout';
        } else {
          outcome = 'ok';
          result = first.r;
        }
      } catch (err) {
        if (err instanceof DependencyUnavailable) {
          outcome = 'unavailable';
          result = { dependency: err.dependency };
        } else {
          outcome = 'failed';
          const error = err instanceof Error ? err : new Error(String(err));
          logger.error('job failed', { job: job.name, error: error.message, stack: error.stack });
        }
      } finally {
        clearTimeout(timer);
      }
      if (outcome === 'timeout') {
        // The lock is held until the work really ends, so a timed-out run is never overlapped.
        void work.catch(() => undefined).finally(() => void this.release(held));
      } else {
        await this.release(held);
      }
      return this.record(job, outcome, Date.now() - started, result);
    });
  }

  /**
   * Takes a run's no-overlap lock. An attempt that meets a failover (the connection dropped or is reconnecting)
   * is tried again every claim retry, with the same owner token: the tick is claimed by then, and failing here
   * would leave it claimed and not run (1 tick in most SIGKILL fault runs).
   */
  private async acquireRunning(job: JobSetting<D>): Promise<HeldLock | undefined> {
    const token = randomUUID();
    const attempts = this.options.claimAttempts ?? 20;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.lock.acquire(`scheduler:running:${job.name}`, job.timeoutMs * 2 + 5000, token);
      } catch (err) {
        if (attempt >= attempts) throw err;
        await new Promise((resolve) => setTimeout(resolve, this.options.claimRetryMs ?? 500));
      }
    }
  }

  /**
   * Releases a run's no-overlap lock. A release that meets a failover (the connection dropped, a READONLY) is
   * tried again every claim retry: left alone, a replicated lock would skip the job's ticks as overlapping until
   * it expires (the job's timeout twice plus 5 s).
   */
  private async release(held: HeldLock): Promise<void> {
    const attempts = this.options.claimAttempts ?? 20;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      try {
        await held.release();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, this.options.claimRetryMs ?? 500));
      }
    }
  }

  private record(job: JobSetting<D>, outcome: Outcome, ms: number, result?: unknown): Outcome {
    statsd.timing(`job.${job.name}.${outcome}`, ms);
    timedJobRun(job.name, outcome, ms / 1000);
    const level =
      outcome === 'failed' || outcome === 'timeout'
        ? 'error'
        : outcome.startsWith('skipped') || outcome === 'unavailable'
          ? 'debug'
          : 'info';
    logger.log(level, 'job run', {
      job: job.name,
      outcome,
      duration_ms: ms,
      ...(result === undefined ? {} : { result }),
    });
    return outcome;
  }
}
