import type { ZeusOrder } from '../../../thirdparty/zeus/zeus-types';

export const RISK_STATUSES = ['pending', 'fraud', 'legit'] as const;
export type RiskStatus = (typeof RISK_STATUSES)[number];
export type RiskVerdict = Exclude<RiskStatus, 'pending'>;
export const REPORT_STATUSES = ['none', 'pending', 'reported'] as const;

/** Why a rule flagged an order: the rule, its threshold and what it saw. */
export interface RuleHit {
  rule: string;
  threshold: string;
  evidence: string;
}

/** A flagged order as stored: the order as zeus had it, the evidence, and the review. */
export interface FlaggedOrder {
  order_id: string;
  order: {
    user_id: string;
    phone: string;
    restaurant_id: string;
    amount_cents: number;
    created_at: string;
    status: ZeusOrder['status'];
    refund_count: number;
    user_registered_at: string;
  };
  hits: RuleHit[];
  rules: string[];
  status: RiskStatus;
  flagged_at: string;
  reviewed_at: string | null;
  reviewer_id: number | null;
  note: string | null;
  cs_event_id: number | null;
  /** The report of a fraud verdict to zeus: none until judged fraud. */
  report_status: (typeof REPORT_STATUSES)[number];
}

export interface FlaggedFilter {
  status?: RiskStatus | undefined;
  rule?: string | undefined;
}
