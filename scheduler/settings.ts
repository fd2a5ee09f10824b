import type { JobDeps } from './deps';
import { dailyReport } from './jobs/cs-daily-report';
import { escalateStale } from './jobs/cs-escalate-stale';
import { riskScan } from './jobs/risk-scan';
import type { JobSetting } from './runner';

const REPORT_TIME_ZONE = 'Asia/Shanghai';

/**
 * Every timed job. `cron` is a node-cron expression (six fields put seconds
 * first); `timezone` is an IANA zone; `mode: 'queue'` hands the tick's work
 * to the Bull queue `scheduled-jobs` (run by `make worker`) instead of
 * running it inside the tick.
 */
export const JOB_SETTINGS: JobSetting<JobDeps>[] = [
  {
    name: 'cs.escalate_stale',
    cron: '0 * * * * *',
    timezone: 'UTC',
    enabled: true,
    timeoutMs: 50_000,
    mode: 'inline',
    run: escalateStale,
  },
  {
    name: 'cs.daily_report',
    cron: '0 30 6 * * *',
    timezone: REPORT_TIME_ZONE,
    enabled: true,
    timeoutMs: 10 * 60_000,
    mode: 'queue',
    run: (deps, run) => dailyReport(deps, run, REPORT_TIME_ZONE),
  },
  {
    name: 'risk.scan',
    cron: '30 * * * * *',
    timezone: 'UTC',
    enabled: true,
    timeoutMs: 50_000,
    mode: 'inline',
    run: riskScan,
  },
];
