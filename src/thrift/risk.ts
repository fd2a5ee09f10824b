import type Int64 from 'node-int64';
import { decimalToI64, i64ToDecimal, numberToI64 } from '../core/rpc';
import type { RiskDomain } from '../service/risk';
import { RiskStatus, RiskVerdict } from '../../thrift/gen-nodejs/tandem_types';

const STATUS: Record<string, number> = {
  pending: RiskStatus.PENDING,
  fraud: RiskStatus.FRAUD,
  legit: RiskStatus.LEGIT,
};

/** The risk methods of service Tandem. */
export function riskThriftMethods(risk: RiskDomain) {
  return {
    get_risk_verdict: async (orderId: Int64): Promise<RiskVerdict> => {
      const order = await risk.review.get(i64ToDecimal(orderId));
      return new RiskVerdict({
        order_id: decimalToI64(order.order_id),
        status: STATUS[order.status] as RiskStatus,
        rules: order.rules,
        reviewed_at: order.reviewed_at ?? undefined,
        cs_event_id: order.cs_event_id === null ? undefined : numberToI64(order.cs_event_id),
      });
    },
  };
}
