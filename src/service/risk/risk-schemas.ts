import { z } from 'zod';
import { decimalU64 } from '../../core/validation';
import { REPORT_STATUSES, RISK_STATUSES } from './risk-types';

/**
 * The suspicious-order domain's shapes, each declared once: the HTTP door
 * validates and documents with them, and the Thrift door checks decoded
 * requests with them (risk-operations.ts).
 */

/** A flagged order by its 64-bit id, in decimal: as a path carries it and as a sibling's i64 decodes. */
export const orderIdInput = z.object({ order_id: decimalU64 });

/** A reviewer's judgement of a flagged order. */
export const reviewBody = z.strictObject({
  verdict: z.enum(['fraud', 'legit']),
  note: z.string().max(2000).default(''),
});

export const flaggedSchema = z.object({
  order_id: z.string(),
  order: z.object({
    user_id: z.string(),
    phone: z.string(),
    restaurant_id: z.string(),
    amount_cents: z.number(),
    created_at: z.string(),
    status: z.string(),
    refund_count: z.number(),
    user_registered_at: z.string(),
  }),
  hits: z.array(z.object({ rule: z.string(), threshold: z.string(), evidence: z.string() })),
  rules: z.array(z.string()),
  status: z.enum(RISK_STATUSES),
  flagged_at: z.string(),
  reviewed_at: z.string().nullable(),
  reviewer_id: z.number().nullable(),
  note: z.string().nullable(),
  cs_event_id: z.number().nullable(),
  report_status: z.enum(REPORT_STATUSES),
});
