import type { JobDeps } from '../deps';
import type { JobRun } from '../runner';

/** cs.escalate_stale: raise the priority of events untouched for `cs.stale_after_minutes`. */
export function escalateStale(deps: JobDeps, run: JobRun): Promise<{ escalated: number }> {
  return deps.cs.maintenance.escalateStale(run.scheduledAt, deps.config.cs.stale_after_minutes * 60_000);
}
