import type Int64 from 'node-int64';
import { decimalToI64, i64ToDecimal, i64ToSafeNumber, numberToI64 } from '../../src/core/rpc';
import { ReplyDataError } from '../base';
import { Order, OrderStatus, Verdict } from '../../thrift/gen-nodejs/zeus_types';
import type { ZeusOrder, ZeusOrderStatus, ZeusVerdict } from './zeus-types';

const STATUSES: Record<OrderStatus, ZeusOrderStatus> = {
  [OrderStatus.CREATED]: 'created',
  [OrderStatus.PAID]: 'paid',
  [OrderStatus.DELIVERED]: 'delivered',
  [OrderStatus.REFUNDED]: 'refunded',
  [OrderStatus.CANCELLED]: 'cancelled',
};

const STATUS_NUMBERS = Object.fromEntries(Object.entries(STATUSES).map(([n, name]) => [name, Number(n)])) as Record<
  ZeusOrderStatus,
  OrderStatus
>;

const VERDICTS: Record<ZeusVerdict, Verdict> = { fraud: Verdict.FRAUD, legit: Verdict.LEGIT };

function safeNumber(value: Int64, field: string, id: string): number {
  const n = i64ToSafeNumber(value);
  if (n === undefined)
    throw new ReplyDataError(`Order ${id} has ${field} ${i64ToDecimal(value, true)}, beyond the safe integer range.`);
  return n;
}

/** An IDL Order as our code sees it: exact decimal ids, lower-case status, Dates. */
export function fromIdlOrder(order: Order): ZeusOrder {
  const id = i64ToDecimal(order.id, true);
  const status = STATUSES[order.status];
  if (status === undefined) throw new ReplyDataError(`Order ${id} has the unknown status ${String(order.status)}.`);
  return {
    id,
    user_id: i64ToDecimal(order.user_id, true),
    phone: order.phone,
    restaurant_id: i64ToDecimal(order.restaurant_id, true),
    amount_cents: safeNumber(order.amount_cents, 'amount_cents', id),
    created_at: new Date(safeNumber(order.created_at, 'created_at', id)),
    status,
    refund_count: order.refund_count,
    user_registered_at: new Date(safeNumber(order.user_registered_at, 'user_registered_at', id)),
  };
}

const ZEUS_ID = /^\d{1,19}$/;
const I63_MAX = 2n ** 63n - 1n;

/** A zeus id (its ids are signed i64: 0 .. 2^63-1) as an i64, or undefined when it is not one. */
export function idToInt64(id: string): Int64 | undefined {
  return ZEUS_ID.test(id) && BigInt(id) <= I63_MAX ? decimalToI64(id) : undefined;
}

/** The IDL form of an order: what the stub zeus sends. */
export function toIdlOrder(order: ZeusOrder): Order {
  const int64 = (text: string, field: string): Int64 => {
    const value = idToInt64(text);
    if (!value) throw new RangeError(`Order ${order.id}: ${field} ${text} is not a zeus id.`);
    return value;
  };
  return new Order({
    id: int64(order.id, 'id'),
    user_id: int64(order.user_id, 'user_id'),
    phone: order.phone,
    restaurant_id: int64(order.restaurant_id, 'restaurant_id'),
    amount_cents: numberToI64(order.amount_cents),
    created_at: numberToI64(order.created_at.getTime()),
    status: STATUS_NUMBERS[order.status],
    refund_count: order.refund_count,
    user_registered_at: numberToI64(order.user_registered_at.getTime()),
  });
}

export function verdictToIdl(verdict: ZeusVerdict): Verdict {
  return VERDICTS[verdict];
}

export function verdictFromIdl(verdict: Verdict): ZeusVerdict | undefined {
  return verdict === Verdict.FRAUD ? 'fraud' : verdict === Verdict.LEGIT ? 'legit' : undefined;
}
