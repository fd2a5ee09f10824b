import type Int64 from 'node-int64';
import { decimalToI64, i64ToDecimal, numberToI64, operationMethod } from '../core/rpc';
import type { RiskDomain } from '../service/risk';
import type { RiskStatus as DomainRiskStatus } from '../service/risk/risk-types';
import { enumCodec } from './enum-codec';
import { RiskStatus, RiskVerdict } from '../../thrift/gen-nodejs/tandem_types';

const status = enumCodec<DomainRiskStatus>(RiskStatus);

/** The risk methods of service Tandem. */
export function riskThriftMethods(risk: RiskDomain) {
  const getOrder = operationMethod(risk.operations.getOrder, {
    part: '',
    encode: (order) =>
      new RiskVerdict({
        order_id: decimalToI64(order.order_id),
        status: status.encode(order.status),
        rules: order.rules,
        reviewed_at: order.reviewed_at ?? undefined,
        cs_event_id: order.cs_event_id === null ? undefined : numberToI64(order.cs_event_id),
      }),
  });
  return {
    get_risk_verdict: (orderId: Int64) => getOrder({ order_id: i64ToDecimal(orderId) }, undefined),
  };
}
