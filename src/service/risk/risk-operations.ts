import { defineOperation } from '../../core/pipeline';
import type { RiskReviewService } from './risk-review-service';
import { flaggedSchema, orderIdInput } from './risk-schemas';

/**
 * The suspicious-order operations served by both doors, each declared once
 * (see core/pipeline/operation.ts): src/api/risk binds them to routes and
 * src/thrift/risk.ts to IDL methods.
 */
export function riskOperations(review: RiskReviewService) {
  return {
    // Over Thrift the answer is the IDL's RiskVerdict: the review's fields of the same order.
    getOrder: defineOperation({
      name: 'get_risk_verdict',
      summary: 'One flagged order with its evidence and review.',
      permission: 'risk.review',
      input: orderIdInput,
      output: flaggedSchema,
      errors: ['RISK_ORDER_NOT_FOUND'],
      handler: (_actor: unknown, { order_id }) => review.get(order_id),
    }),
  };
}

export type RiskOperations = ReturnType<typeof riskOperations>;
