import { z } from 'zod';
import { jobSwitch, port, section } from './schema-parts';

/**
 * The configuration of deferred and timed work: Bull queues (`queue`), the
 * scheduler's tick claims (`scheduler`), and each timed job's switch and
 * schedule (`jobs`).
 */

export const queueSection = section({
  concurrency: z.number().int().min(1).default(4).describe('Jobs one worker process runs at once, per queue.'),
  lock_ms: z
    .number()
    .int()
    .min(500)
    .default(30000)
    .describe("How long a worker holds a job without renewing; a killed worker's job is taken over after it."),
  stalled_check_ms: z
    .number()
    .int()
    .min(500)
    .default(30000)
    .describe('How often workers look for jobs whose worker died.'),
  keep_completed_seconds: z
    .number()
    .int()
    .min(0)
    .default(7 * 86400)
    .describe('How long finished jobs are kept, so an idempotency key still dedupes.'),
  drain_timeout_ms: z
    .number()
    .int()
    .min(0)
    .default(30000)
    .describe('How long a stopping worker waits for its running jobs.'),
  metrics_port: port
    .default(0)
    .describe(
      'Port on which the worker (make worker) serves GET /metrics for Prometheus, bound to metrics.host and limited to metrics.allowed_networks; 0 serves none.',
    ),
});

export const schedulerSection = section({
  lock_ms: z
    .number()
    .int()
    .min(1000)
    .default(10 * 60 * 1000)
    .describe('How long a tick stays claimed, so no other instance runs the same tick.'),
  claim_retry_ms: z
    .number()
    .int()
    .min(50)
    .default(500)
    .describe('Pause before a tick claim that Redis refused or no replica acknowledged is tried again.'),
  claim_attempts: z
    .number()
    .int()
    .min(1)
    .default(20)
    .describe('Tries of one tick claim, the first included, before the tick is skipped.'),
});

export const jobsSection = section({
  cs: section({
    escalate_stale: jobSwitch('0 * * * * *', 'the escalation of stale customer-service events'),
    daily_report: jobSwitch('0 30 6 * * *', 'the daily customer-service report (Asia/Shanghai time)'),
  }),
  risk: section({
    scan: jobSwitch('30 * * * * *', 'the risk scan of new zeus orders'),
  }),
});
