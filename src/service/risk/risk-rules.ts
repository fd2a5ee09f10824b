import type { ZeusOrder } from '../../../thirdparty/zeus/zeus-types';
import type { RuleHit } from './risk-types';

/**
 * The risk rules, in one place. Each has a name (stored with the evidence and
 * used to filter) and its thresholds. `phone_burst` needs the orders of the
 * same phone just before this one, which the scan keeps in Redis.
 */
export const RISK_RULES = {
  phone_burst: { minOrders: 3, windowMs: 10 * 60_000 },
  new_user_large_amount: { maxAccountAgeMs: 7 * 24 * 3600_000, minAmountCents: 50_000 },
  high_refund_count: { minRefunds: 3 },
} as const;

export type RuleName = keyof typeof RISK_RULES;
export const RULE_NAMES = Object.keys(RISK_RULES) as RuleName[];

/** Applies every rule to one order; `recentFromPhone` counts this phone's orders in the window, this one included. */
export function applyRules(order: ZeusOrder, recentFromPhone: number): RuleHit[] {
  const hits: RuleHit[] = [];
  const burst = RISK_RULES.phone_burst;
  if (recentFromPhone >= burst.minOrders) {
    hits.push({
      rule: 'phone_burst',
      threshold: `${burst.minOrders} orders from one phone within ${burst.windowMs / 60_000} minutes`,
      evidence: `${recentFromPhone} orders from ${order.phone} within ${burst.windowMs / 60_000} minutes up to this one`,
    });
  }
  const fresh = RISK_RULES.new_user_large_amount;
  const ageMs = order.created_at.getTime() - order.user_registered_at.getTime();
  if (ageMs < fresh.maxAccountAgeMs && order.amount_cents >= fresh.minAmountCents) {
    hits.push({
      rule: 'new_user_large_amount',
      threshold: `account younger than ${fresh.maxAccountAgeMs / 86_400_000} days and at least ${fresh.minAmountCents} cents`,
      evidence: `account ${(ageMs / 86_400_000).toFixed(1)} days old, amount ${order.amount_cents} cents`,
    });
  }
  const refunds = RISK_RULES.high_refund_count;
  if (order.refund_count >= refunds.minRefunds) {
    hits.push({
      rule: 'high_refund_count',
      threshold: `at least ${refunds.minRefunds} refunds`,
      evidence: `${order.refund_count} refunds`,
    });
  }
  return hits;
}
