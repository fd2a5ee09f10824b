/**
 * tandem: the contract with sibling services.
 *
 * Transport and protocol are chosen per connection: framed or unframed
 * (buffered), binary or compact, on one port.
 */
namespace py tandem
namespace java tandem
namespace go tandem

/** The caller asked for something wrong: bad input, not found, conflict. */
exception UserException {
  1: i32 code,
  2: string message,
}

/** The caller is not authenticated or not allowed. */
exception AuthException {
  1: i32 code,
  2: string message,
}

/** One of our dependencies failed, or we are overloaded. */
exception ServerException {
  1: i32 code,
  2: string message,
}

/** A sibling service we depend on failed or timed out. */
exception ThirdPartyException {
  1: i32 code,
  2: string message,
}

/** Status of a customer-service event; DONE is final. */
enum CsStatus {
  PENDING = 1,
  REMAIN = 2,
  FOLLOW_UP = 3,
  FORWARD = 4,
  DONE = 5,
}

/** Who reported the event. */
enum CsUserType {
  MERCHANT = 1,
  MARKETING = 2,
  USER = 3,
  OTHERS = 4,
}

/** How the report reached us. */
enum CsSource {
  PHONE = 1,
  EMAIL = 2,
  WEIBO = 3,
  WECHAT = 4,
  ONLINE_CS = 5,
  FEEDBACK = 6,
  OTHERS = 7,
}

/** A customer-service event. Times are ISO 8601 in UTC. */
struct CsEvent {
  1: i64 id,
  2: optional i64 user_id,
  3: CsUserType user_type,
  4: string phone,
  /** Full 64-bit range, exact. */
  5: optional i64 order_id,
  6: CsSource source,
  7: optional i64 category_id,
  /** 0 (lowest) to 3 (highest). */
  8: i32 priority,
  9: CsStatus status,
  10: i64 creator_id,
  11: i64 handler_id,
  12: double compensation,
  13: string content,
  14: string created_at,
  15: string updated_at,
}

struct CreateCsEventRequest {
  1: optional i64 user_id,
  2: required CsUserType user_type,
  3: optional string phone,
  4: optional i64 order_id,
  5: required CsSource source,
  6: optional i64 category_id,
  /** 0 to 3; default 0. */
  7: optional i32 priority,
  /** At most two decimals; default 0. */
  8: optional double compensation,
  9: required string content,
  /** The staff member on whose behalf the event is opened; 0 or absent means the system. */
  10: optional i64 creator_id,
  /** Defaults to the creator. */
  11: optional i64 handler_id,
  /** Idempotency key (at most 64 characters): a retry with the same key returns the first event. */
  12: optional string request_key,
}

struct CsEventPage {
  1: list<CsEvent> items,
  /** Events matching the filters: exact when total_is_exact, else the cap (1000) and there are more. */
  2: i32 total,
  /** The page asked for; 0 on a page reached by cursor. */
  3: i32 page,
  4: i32 page_size,
  /** Pass as `cursor` for the next page; absent on the last page. Opaque. */
  5: optional string next_cursor,
  /** False when counting stopped at the cap (total is then a lower bound). */
  6: optional bool total_is_exact,
}

/** A page of one user's events by cursor (list_cs_events_by_user_cursor). */
struct CsEventsByUserRequest {
  1: required i64 user_id,
  /** The previous page's next_cursor, unchanged; absent for the first page. */
  2: optional string cursor,
  /** 1 to 1000; 20 when absent. */
  3: optional i32 page_size,
}

/** Where a flagged order stands in review. */
enum RiskStatus {
  PENDING = 1,
  FRAUD = 2,
  LEGIT = 3,
}

struct RiskVerdict {
  /** Full 64-bit range, exact. */
  1: i64 order_id,
  2: RiskStatus status,
  /** The names of the rules that flagged it. */
  3: list<string> rules,
  /** ISO 8601 in UTC, when judged. */
  4: optional string reviewed_at,
  /** The customer-service event a fraud verdict opened. */
  5: optional i64 cs_event_id,
}

// make domain: new structs go above this line.

/**
 * Every method but ping may raise the four exceptions; each carries a
 * stable business code (see docs/http.md, Error codes) and a message.
 */
service Tandem {
  /** Liveness: always "pong". */
  string ping(),

  /**
   * Names the calling service for this connection: later calls on it are
   * logged and counted with that name. Call it once after connecting.
   */
  void hello(1: string service_name) throws (1: UserException user_error),

  CsEvent create_cs_event(1: CreateCsEventRequest request)
    throws (1: UserException user_error, 2: AuthException auth_error, 3: ServerException server_error, 4: ThirdPartyException third_party_error),

  /** UserException 1100 when there is no such event. */
  CsEvent get_cs_event(1: i64 id)
    throws (1: UserException user_error, 2: AuthException auth_error, 3: ServerException server_error, 4: ThirdPartyException third_party_error),

  /**
   * Newest update first; page from 1 and at most 10000 events deep
   * (page_size × (page − 1)), page_size 1 to 1000. Deeper: follow
   * next_cursor with list_cs_events_by_user_cursor.
   */
  CsEventPage list_cs_events_by_user(1: i64 user_id, 2: i32 page, 3: i32 page_size)
    throws (1: UserException user_error, 2: AuthException auth_error, 3: ServerException server_error, 4: ThirdPartyException third_party_error),

  /**
   * The same list by cursor: without `cursor` the first page, with the
   * previous page's next_cursor the page after it; each page costs the same
   * at any depth. UserException 1001 naming `cursor` for a cursor from
   * another user's list.
   */
  CsEventPage list_cs_events_by_user_cursor(1: CsEventsByUserRequest request)
    throws (1: UserException user_error, 2: AuthException auth_error, 3: ServerException server_error, 4: ThirdPartyException third_party_error),

  /** The review of a flagged order; UserException 1200 when the order was never flagged. */
  RiskVerdict get_risk_verdict(1: i64 order_id)
    throws (1: UserException user_error, 2: AuthException auth_error, 3: ServerException server_error, 4: ThirdPartyException third_party_error),

  // make domain: new methods go above this line.
}
