import type { ZeusOrder, ZeusOrderStatus } from '../zeus-types';

/**
 * The stub zeus's orders: fixed absolute times on 2026-11-01 (UTC), so that
 * a scan flags the same orders on every run. Ids start just above 2^53, where
 * a JavaScript number can no longer hold them exactly, and the last order has
 * the largest i64; user ids are 19 digits.
 *
 * The orders are built so that the risk rules, as defined for issue 6, flag
 * exactly the ones named in EXPECTED_FLAGS, with near-misses around each:
 *
 * - `phone_burst`: the 3rd or later order from one phone within 10 minutes
 *   (every order of that phone inside such a window, from the 3rd on);
 * - `new_user_large_amount`: the user registered less than 7 days before the
 *   order, and amount_cents >= 50000;
 * - `high_refund_count`: refund_count >= 3.
 */

/** The names of the risk rules, as the risk domain declares them. */
export type FixtureRule = 'phone_burst' | 'new_user_large_amount' | 'high_refund_count';

const DAY_MS = 24 * 3600_000;
/** 2^53 + 1: the first integer a double cannot hold. */
const ID_BASE = 9_007_199_254_740_993n;
/** The largest i64, used as the id of the last fixture order. */
export const MAX_I64_ID = '9223372036854775807';
/** Users registered long before the fixtures. */
const OLD_ACCOUNT = '2025-06-01T00:00:00.000Z';

interface Spec {
  /** Offset from ID_BASE, or an explicit id. */
  id: number | string;
  /** Time of day on 2026-11-01 (UTC), HH:MM. */
  at: string;
  phone: string;
  user: number;
  amount: number;
  status?: ZeusOrderStatus;
  refunds?: number;
  /** Account age at the time of the order, in days; default: registered 2025-06-01. */
  ageDays?: number;
  flags: FixtureRule[];
}

const PHONE_A = '13800000001';
const PHONE_B = '13800000002';
const PHONE_C = '13800000003';
const PHONE_D = '13900000004';

// One order a line reads best as a table.
// prettier-ignore
const SPECS: Spec[] = [
  // Phone A: four orders in 8 minutes. The 3rd and the 4th are a burst; the 4th also has many refunds.
  { id: 1, at: '08:00', phone: PHONE_A, user: 1, amount: 2500, status: 'delivered', flags: [] },
  { id: 2, at: '08:03', phone: PHONE_A, user: 1, amount: 3200, status: 'delivered', flags: [] },
  // Phone B: two orders in 4 minutes, a near-miss of the burst.
  { id: 3, at: '08:05', phone: PHONE_B, user: 2, amount: 1800, status: 'delivered', flags: [] },
  { id: 4, at: '08:06', phone: PHONE_A, user: 1, amount: 4100, status: 'paid', flags: ['phone_burst'] },
  { id: 5, at: '08:08', phone: PHONE_A, user: 1, amount: 2700, status: 'refunded', refunds: 4, flags: ['phone_burst', 'high_refund_count'] },
  { id: 6, at: '08:09', phone: PHONE_B, user: 2, amount: 2200, status: 'delivered', flags: [] },
  // Phone C: three orders 6 minutes apart: never three within 10 minutes (the window slides).
  { id: 7, at: '08:20', phone: PHONE_C, user: 3, amount: 1500, status: 'delivered', flags: [] },
  { id: 8, at: '08:26', phone: PHONE_C, user: 3, amount: 1500, status: 'delivered', flags: [] },
  { id: 9, at: '08:32', phone: PHONE_C, user: 3, amount: 1500, status: 'cancelled', flags: [] },
  // Phone B's third order comes 31 minutes after its second.
  { id: 10, at: '08:40', phone: PHONE_B, user: 2, amount: 2000, status: 'created', flags: [] },
  // New users with large amounts, and the near-misses of that rule.
  { id: 11, at: '09:00', phone: '13700000011', user: 4, amount: 80000, status: 'paid', ageDays: 2, flags: ['new_user_large_amount'] },
  { id: 12, at: '09:10', phone: '13700000012', user: 5, amount: 50000, status: 'paid', ageDays: 6, flags: ['new_user_large_amount'] },
  { id: 13, at: '09:20', phone: '13700000013', user: 6, amount: 49999, status: 'paid', ageDays: 6, flags: [] },
  { id: 14, at: '09:30', phone: '13700000014', user: 7, amount: 60000, status: 'paid', ageDays: 8, flags: [] },
  // Refund counts: 3 is flagged, 2 is not.
  { id: 15, at: '09:40', phone: '13700000015', user: 8, amount: 3000, status: 'refunded', refunds: 3, flags: ['high_refund_count'] },
  { id: 16, at: '09:50', phone: '13700000016', user: 9, amount: 3000, status: 'refunded', refunds: 2, flags: [] },
  // Two orders at the same millisecond, listed here out of order: zeus sorts them by id, so 17 comes first.
  { id: 18, at: '10:00', phone: '13700000018', user: 11, amount: 1200, status: 'delivered', flags: [] },
  { id: 17, at: '10:00', phone: '13700000017', user: 10, amount: 120000, status: 'refunded', refunds: 5, ageDays: 1, flags: ['new_user_large_amount', 'high_refund_count'] },
  // Phone D: three different users in 7 minutes: the rule is about the phone, not the user.
  { id: 19, at: '10:30', phone: PHONE_D, user: 12, amount: 2600, status: 'delivered', flags: [] },
  { id: 20, at: '10:33', phone: PHONE_D, user: 13, amount: 2900, status: 'delivered', flags: [] },
  { id: 21, at: '10:37', phone: PHONE_D, user: 14, amount: 3100, status: 'paid', flags: ['phone_burst'] },
  // A new user with a small amount, and an old user with a large one.
  { id: 22, at: '10:50', phone: '13700000022', user: 15, amount: 3000, status: 'paid', ageDays: 3, flags: [] },
  { id: 23, at: '11:00', phone: '13700000023', user: 16, amount: 250000, status: 'delivered', flags: [] },
  // Phone A again, hours after its burst: alone in its window.
  { id: 24, at: '11:30', phone: PHONE_A, user: 1, amount: 2100, status: 'created', flags: [] },
  { id: MAX_I64_ID, at: '12:00', phone: '13700000025', user: 17, amount: 990, status: 'cancelled', flags: [] },
];

function orderId(id: number | string): string {
  return typeof id === 'string' ? id : (ID_BASE + BigInt(id)).toString();
}

function userId(n: number): string {
  return (8_000_000_000_000_000_000n + BigInt(n)).toString();
}

function build(spec: Spec): ZeusOrder {
  const createdAt = new Date(`2026-11-01T${spec.at}:00.000Z`);
  return {
    id: orderId(spec.id),
    user_id: userId(spec.user),
    phone: spec.phone,
    restaurant_id: String(1000 + (spec.user % 5)),
    amount_cents: spec.amount,
    created_at: createdAt,
    status: spec.status ?? 'delivered',
    refund_count: spec.refunds ?? 0,
    user_registered_at:
      spec.ageDays === undefined ? new Date(OLD_ACCOUNT) : new Date(createdAt.getTime() - spec.ageDays * DAY_MS),
  };
}

/** Orders sort by (created_at, id), ids compared as integers: the order zeus lists them in. */
export function compareOrders(a: ZeusOrder, b: ZeusOrder): number {
  const byTime = a.created_at.getTime() - b.created_at.getTime();
  if (byTime !== 0) return byTime;
  const ia = BigInt(a.id);
  const ib = BigInt(b.id);
  return ia < ib ? -1 : ia > ib ? 1 : 0;
}

/** Every fixture order, oldest first. Copy before changing one. */
export const FIXTURE_ORDERS: readonly ZeusOrder[] = Object.freeze(SPECS.map(build).sort(compareOrders));

/** For each fixture order id, the rules that must flag it (empty: none may). */
export const EXPECTED_FLAGS: Readonly<Record<string, readonly FixtureRule[]>> = Object.freeze(
  Object.fromEntries(SPECS.map((spec) => [orderId(spec.id), Object.freeze([...spec.flags])])),
);

/** The ids of the fixture orders some rule must flag, oldest first. */
export const FLAGGED_FIXTURE_IDS: readonly string[] = Object.freeze(
  FIXTURE_ORDERS.filter((o) => (EXPECTED_FLAGS[o.id]?.length ?? 0) > 0).map((o) => o.id),
);

let extraSeq = 0;

/**
 * A new order for a test to add to the stub (`addOrders`), as if it had just
 * arrived: after every fixture order (from 2026-11-02), with a fresh id in a
 * range of its own and an old account, so no rule flags it unless `fields`
 * says otherwise.
 */
export function newOrder(fields: Partial<ZeusOrder> = {}): ZeusOrder {
  extraSeq += 1;
  const createdAt = fields.created_at ?? new Date(Date.UTC(2026, 10, 2, 0, 0, 0) + extraSeq * 60_000);
  return {
    id: (9_100_000_000_000_000_000n + BigInt(extraSeq)).toString(),
    user_id: userId(1000 + extraSeq),
    phone: `1360000${String(extraSeq).padStart(4, '0')}`,
    restaurant_id: '1000',
    amount_cents: 1500,
    created_at: createdAt,
    status: 'paid',
    refund_count: 0,
    user_registered_at: new Date(OLD_ACCOUNT),
    ...fields,
  };
}
