import type Int64 from 'node-int64';
import { decimalToInt64, int64ToDecimal, int64ToSafeNumber, numberToInt64, ReplyDataError } from '../base';
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
  const n = int64ToSafeNumber(value);
  if (n === undefined)
    throw new ReplyDataError(`Order ${id} has ${field} ${int64ToDecimal(value)}, beyond the safe integer range.`);
  return n;
}

/** An IDL Order as our code sees it: exact decimal ids, lower-case status, Dates. */
export function fromIdlOrder(order: Order): ZeusOrder {
  const id = int64ToDecimal(order.id);
  const status = STATUSES[order.status];
  if (status === undefined) throw new ReplyDataError(`Order ${id} has the unknown status ${String(order.status)}.`);
  return {
    id,
    user_id: int64ToDecimal(order.user_id),
    phone: order.phone,
    restaurant_id: int64ToDecimal(order.restaurant_id),
    amount_cents: safeNumber(order.amount_cents, 'amount_cents', id),
    created_at: new Date(safeNumber(order.created_at, 'created_at', id)),
    status,
    refund_count: order.refund_count,
    user_registered_at: new Date(safeNumber(order.user_registered_at, 'user_registered_at', id)),
  };
}

/** A decimal id as an i64, or undefined when it is not one. */
export function idToInt64(id: string): Int64 | undefined {
  return decimalToInt64(id);
}

/** The IDL form of an order: what the stub zeus sends. */
export function toIdlOrder(order: ZeusOrder): Order {
  const int64 = (text: string, field: string): Int64 => {
    const value = decimalToInt64(text);
    if (!value) throw new RangeError(`Order ${order.id}: ${field} ${text} is not a 64-bit integer.`);
    return value;
  };
  return new Order({
    id: int64(order.id, 'id'),
    user_id: int64(order.user_id, 'user_id'),
    phone: order.phone,
    restaurant_id: int64(order.restaurant_id, 'restaurant_id'),
    amount_cents: numberToInt64(order.amount_cents),
    created_at: numberToInt64(order.created_at.getTime()),
    status: STATUS_NUMBERS[order.status],
    refund_count: order.refund_count,
    user_registered_at: numberToInt64(order.user_registered_at.getTime()),
  });
}

export function verdictToIdl(verdict: ZeusVerdict): Verdict {
  return VERDICTS[verdict];
}

export function verdictFromIdl(verdict: Verdict): ZeusVerdict | undefined {
  return verdict === Verdict.FRAUD ? 'fraud' : verdict === Verdict.LEGIT ? 'legit' : undefined;
}
