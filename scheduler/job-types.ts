import type { ReplicaWait } from '../src/core/db/redis';

/** What a timed job is and how the scheduler runs it: the types of scheduler/runner.ts and the jobs. */

/** What a job function gets: when its tick was due, and a signal raised at its timeout. */
export interface JobRun {
  scheduledAt: Date;
  signal: AbortSignal;
}

/** One timed job, declared in scheduler/settings.ts. */
export interface JobSetting<D> {
  name: string;
  /** node-cron expression; six fields put seconds first. */
  cron: string;
  timezone: string;
  /** Off: each tick is recorded as `skipped_disabled` and does nothing; `runNow` needs `force`. */
  enabled: boolean;
  timeoutMs: number;
  /** `inline` runs in the tick; `queue` enqueues the work to Bull, for work that may take long. */
  mode: 'inline' | 'queue';
  run: (deps: D, run: JobRun) => Promise<unknown>;
}

export type Outcome =
  | 'ok'
  | 'failed'
  | 'timeout'
  | 'unavailable'
  | 'skipped_tick_taken'
  | 'skipped_unclaimed'
  | 'skipped_overlap'
  | 'skipped_disabled'
  | 'queued';

/**
 * Thrown by a job that could not do its work because a dependency it needs
 * does not answer (zeus not running on a developer's machine, say), where
 * the dependency's client has already said so once. The run is recorded as
 * `unavailable` (a statsd timing and a debug line) instead of a failure
 * logged with its stack on every tick; the next tick tries again.
 */
export class DependencyUnavailable extends Error {
  constructor(
    readonly dependency: string,
    cause: unknown,
  ) {
    super(`${dependency} does not answer`, { cause });
    this.name = 'DependencyUnavailable';
  }
}

/** Hands a `queue` job's tick to Bull; the key makes one job per tick. */
export type EnqueueTick = (name: string, key: string, scheduledAt: Date) => Promise<void>;

export interface SchedulerOptions {
  /** How long a claimed tick stays claimed (ms). */
  tickLockMs: number;
  /** Pause before a tick claim that failed is tried again (ms); 500 unless given. */
  claimRetryMs?: number;
  /** Tries of a tick claim, the first included; 20 unless given. */
  claimAttempts?: number;
  /** Replicas that must acknowledge a tick claim (redis.wait_replicas); none unless given. */
  replicas?: ReplicaWait;
  enqueue?: EnqueueTick;
}
