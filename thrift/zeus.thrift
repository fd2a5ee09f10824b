/**
 * zeus, the order platform: a sibling service we call and do not own.
 * thirdparty/zeus/ holds our client and a stub server speaking this IDL.
 *
 * Every method takes a RequestMeta first: plain Thrift has no headers, so
 * this is how the request id and the caller's name reach zeus.
 */
namespace py zeus
namespace java zeus
namespace go zeus

exception ZeusUserException {
  1: i32 code,
  2: string message,
}

exception ZeusServerException {
  1: i32 code,
  2: string message,
}

struct RequestMeta {
  1: string request_id,
  2: string caller,
}

enum OrderStatus {
  CREATED = 1,
  PAID = 2,
  DELIVERED = 3,
  REFUNDED = 4,
  CANCELLED = 5,
}

struct Order {
  1: i64 id,
  2: i64 user_id,
  3: string phone,
  4: i64 restaurant_id,
  /** In cents. */
  5: i64 amount_cents,
  /** Unix time in milliseconds. */
  6: i64 created_at,
  7: OrderStatus status,
  8: i32 refund_count,
  /** When the ordering user registered, Unix time in milliseconds. */
  9: i64 user_registered_at,
}

struct OrderPage {
  1: list<Order> orders,
  /** Pass it back to continue after the last order of this page; unchanged when there is nothing new. */
  2: string next_cursor,
}

enum Verdict {
  FRAUD = 1,
  LEGIT = 2,
}

service Zeus {
  /** Orders created after the cursor, oldest first; an empty cursor starts from the beginning. */
  OrderPage list_orders_since(1: RequestMeta meta, 2: string cursor, 3: i32 limit)
    throws (1: ZeusUserException user_error, 2: ZeusServerException server_error),

  Order get_order(1: RequestMeta meta, 2: i64 id)
    throws (1: ZeusUserException user_error, 2: ZeusServerException server_error),

  void report_suspicious(1: RequestMeta meta, 2: i64 order_id, 3: Verdict verdict, 4: string reason)
    throws (1: ZeusUserException user_error, 2: ZeusServerException server_error),
}
