import type { Config } from '../src/core/config';
import type { JobDeps } from './deps';
import { dailyReport } from './jobs/cs-daily-report';
import { escalateStale } from './jobs/cs-escalate-stale';
import { riskScan } from './jobs/risk-scan';
import type { JobSetting } from './runner';

const REPORT_TIME_ZONE = 'Asia/Shanghai';

/** What a job's declaration says; whether it runs and when come from the configuration. */
type JobDeclaration = Omit<JobSetting<JobDeps>, 'enabled' | 'cron'> & {
  /** The job's switch in the configuration: jobs.<domain>.<job>. */
  switchOf: (jobs: Config['jobs']) => { enabled: boolean; cron: string };
};

/**
 * Every timed job. Its schedule and whether it runs in an environment are
 * configuration (`jobs.<domain>.<job>.enabled` and `.cron`: a node-cron
 * expression, six fields put seconds first); `timezone` is an IANA zone;
 * `mode: 'queue'` hands the tick's work to the Bull queue `scheduled-jobs`
 * (run by `make worker`) instead of running it inside the tick.
 */
export const JOB_SETTINGS: JobDeclaration[] = [
  {
    name: 'cs.escalate_stale',
    switchOf: (jobs) => jobs.cs.escalate_stale,
    timezone: 'UTC',
    timeoutMs: 50_000,
    mode: 'inline',
    run: escalateStale,
  },
  {
    name: 'cs.daily_report',
    switchOf: (jobs) => jobs.cs.daily_report,
    timezone: REPORT_TIME_ZONE,
    timeoutMs: 10 * 60_000,
    mode: 'queue',
    run: (deps, run) => dailyReport(deps, run, REPORT_TIME_ZONE),
  },
  {
    name: 'risk.scan',
    switchOf: (jobs) => jobs.risk.scan,
    timezone: 'UTC',
    timeoutMs: 50_000,
    mode: 'inline',
    run: riskScan,
  },
];

/** The names of the timed jobs, in declaration order. */
export const JOB_NAMES: string[] = JOB_SETTINGS.map((j) => j.name);

/** Every timed job with its switch and schedule as this configuration sets them. */
export function jobSettings(config: Config): JobSetting<JobDeps>[] {
  return JOB_SETTINGS.map(({ switchOf, ...job }) => ({ ...job, ...switchOf(config.jobs) }));
}
