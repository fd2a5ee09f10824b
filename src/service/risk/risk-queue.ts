import { defineQueue } from '../../core/async';

/** Reports a fraud verdict to zeus; retried with backoff, then parked in the failed set. */
export interface RiskReportJob {
  order_id: string;
  reason: string;
}

/** Built from config (risk.report_attempts, risk.report_backoff_ms). */
export function riskReportQueue(attempts: number, backoffMs: number) {
  return defineQueue<RiskReportJob>({ name: 'risk-report', attempts, backoffMs, timeoutMs: 30_000 });
}
