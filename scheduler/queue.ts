import { defineQueue } from '../src/core/async';

/** The queue that runs `mode: 'queue'` jobs' ticks, one job per tick (keyed by job and due second). */
export const SCHEDULED_JOBS = defineQueue<{ name: string; scheduled_at: string }>({
  name: 'scheduled-jobs',
  attempts: 3,
  backoffMs: 10_000,
  timeoutMs: 15 * 60_000,
});
