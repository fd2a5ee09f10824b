import type Bull from 'bull';
import { newContext, runWithContext } from '../ctx';
import { logger } from '../log';
import { ThrottledWarning } from '../log/throttled-warning';
import { statsd } from '../monitor';
import { queueJobRun } from '../monitor/dependency-metrics';
import { traceJobRun } from '../trace';
import type { JobEnvelope, QueueDef } from './queues';
import type { RecentlyDone } from './recently-done';

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

/**
 * The run of one job, as Bull calls it for each try: in the request context
 * of the request that enqueued it (its every log line carries that request
 * id) and in a span continuing its trace, timed, counted and logged by
 * outcome. A job that comes without its data, or a keyed job this worker
 * finished lately (`done`, see RecentlyDone), is not run.
 */
export function jobRunner<P>(
  def: QueueDef<P>,
  processor: Processor<P>,
  done: RecentlyDone | undefined,
): (job: Bull.Job<JobEnvelope<P>>) => Promise<unknown> {
  // A failover brings back every keyed job finished in its last second or so: each counted, said once a minute.
  const cameBack = new ThrottledWarning(
    'keyed jobs this worker finished came back after a Redis failover; they are not run again',
    `queue.${def.name}.not_run_twice`,
  );
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
      cameBack.warn({ queue: def.name, job_id: job.id, finished_ms_ago: ago });
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
  return tracedRun(def.name, handle);
}
