/** The status of a zeus order: the IDL's OrderStatus in lower case. */
export type ZeusOrderStatus = 'created' | 'paid' | 'delivered' | 'refunded' | 'cancelled';

/** A reviewer's verdict as reported to zeus. */
export type ZeusVerdict = 'fraud' | 'legit';

/** An order as our code sees it: ids as exact decimal strings (zeus ids are 64-bit), times as Dates. */
export interface ZeusOrder {
  id: string;
  user_id: string;
  phone: string;
  restaurant_id: string;
  amount_cents: number;
  created_at: Date;
  status: ZeusOrderStatus;
  refund_count: number;
  user_registered_at: Date;
}

export interface ZeusOrderPage {
  orders: ZeusOrder[];
  next_cursor: string;
}

/**
 * What services need from zeus. Every method ends within its deadline with
 * a result or a ThirdPartyError (codes 701 timeout, 702 unavailable, 703
 * remote error, 704 circuit open).
 */
export interface ZeusApi {
  /** Idempotent: retried on timeout or a dropped connection. */
  listOrdersSince(cursor: string, limit: number): Promise<ZeusOrderPage>;
  /** Idempotent: retried on timeout or a dropped connection. */
  getOrder(id: string): Promise<ZeusOrder>;
  /** Not idempotent: never retried by the client (the queue job retries it). */
  reportSuspicious(orderId: string, verdict: ZeusVerdict, reason: string): Promise<void>;
}
