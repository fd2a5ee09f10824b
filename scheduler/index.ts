import type { Redis } from 'ioredis';
import type { Queues } from '../src/core/async';
import { replicaWaitOf } from '../src/core/db/redis';
import type { JobDeps } from './deps';
import { SCHEDULED_JOBS } from './queue';
import { Scheduler } from './runner';
import { jobSettings } from './settings';

/** The scheduler of this app's timed jobs; `queue` jobs are enqueued to `scheduled-jobs`. */
export function createScheduler(redis: Redis, deps: JobDeps, queues: Queues | undefined): Scheduler<JobDeps> {
  return new Scheduler(redis, jobSettings(deps.config), deps, {
    tickLockMs: deps.config.scheduler.lock_ms,
    claimRetryMs: deps.config.scheduler.claim_retry_ms,
    claimAttempts: deps.config.scheduler.claim_attempts,
    replicas: replicaWaitOf(deps.config),
    enqueue: queues
      ? async (name, key, scheduledAt) => {
          await queues.enqueue(SCHEDULED_JOBS, { name, scheduled_at: scheduledAt.toISOString() }, { key });
        }
      : undefined,
  });
}

/** The worker side: runs queued ticks with the same no-overlap lock as inline ones. */
export function processScheduledJobs(queues: Queues, scheduler: Scheduler<JobDeps>, concurrency: number): void {
  queues.process(SCHEDULED_JOBS, concurrency, async (payload) => {
    const outcome = await scheduler.runNow(payload.name, new Date(payload.scheduled_at));
    // Failing makes Bull retry with backoff, and keeps the job in the failed set after the last try.
    if (outcome === 'failed' || outcome === 'timeout' || outcome === 'unavailable')
      throw new Error(`job ${payload.name} ended ${outcome}`);
    return outcome;
  });
}
