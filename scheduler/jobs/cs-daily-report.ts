import { previousDay } from '../../src/service/cs/cs-maintenance-service';
import type { JobDeps } from '../deps';
import type { JobRun } from '../runner';

/** cs.daily_report: the previous day's per-status and per-category counts, once per day. */
export async function dailyReport(
  deps: JobDeps,
  run: JobRun,
  timeZone: string,
): Promise<{ day: string; written: boolean }> {
  const day = previousDay(run.scheduledAt, timeZone);
  const { written } = await deps.cs.maintenance.writeDailyReport(day, timeZone);
  return { day, written };
}
