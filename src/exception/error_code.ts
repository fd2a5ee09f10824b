/**
 * The one table of business codes. Each code is an integer, unique, in the
 * range of its class, and in a block per domain:
 *
 * | range      | class            | blocks                                             |
 * |------------|------------------|----------------------------------------------------|
 * | 0–99       | DevError         | programming mistakes                               |
 * | 100–699    | ServerError      | 100 general, 200 MySQL, 300 Redis, 400 MongoDB, 500 queues/jobs |
 * | 700–899    | ThirdPartyError  | 700 general, 710 zeus                               |
 * | 900–999    | AuthError        | 900 sessions, 950 permissions                      |
 * | 1000–      | UserError        | 1000 common, 1100 cs events, 1200 risk, 1300 staff |
 *
 * A message is a template for a person; `{name}` is replaced by the value of
 * `name` in the params given when raising. Never put a secret in params.
 */
export const ERROR_CODES = {
  // Developer mistakes (0–99).
  INTERNAL: { code: 1, message: 'Internal server error.' },
  UNDEFINED_ERROR_CODE: { code: 2, message: 'An undefined error code was raised: {name}.' },
  WRONG_ERROR_CLASS: { code: 3, message: 'Error code {name} was raised with the wrong class {cls}.' },

  // Server (100–699).
  SERVICE_UNAVAILABLE: { code: 100, message: 'The service is temporarily unavailable; try again shortly.' },
  SHUTTING_DOWN: { code: 101, message: 'The server is shutting down; retry on another instance.' },
  OVERLOADED: { code: 102, message: 'The server is overloaded; try again shortly.' },
  REQUEST_DEADLINE: { code: 103, message: 'The request did not finish within {timeout_ms} ms; try again shortly.' },
  DATABASE_ERROR: { code: 200, message: 'The database failed to answer; try again shortly.' },
  DATABASE_TIMEOUT: { code: 201, message: 'The database did not answer in time; try again shortly.' },
  DATABASE_UNAVAILABLE: { code: 202, message: 'The database is unreachable; try again shortly.' },
  CACHE_ERROR: { code: 300, message: 'The cache failed to answer; try again shortly.' },
  DOCUMENT_STORE_ERROR: { code: 400, message: 'The document store failed to answer; try again shortly.' },
  QUEUE_ERROR: { code: 500, message: 'The job could not be queued; try again shortly.' },

  // Third party (700–899).
  THIRD_PARTY_ERROR: { code: 700, message: 'A service we depend on failed; try again shortly.' },
  THIRD_PARTY_TIMEOUT: { code: 701, message: '{service} did not answer within {timeout_ms} ms.' },
  THIRD_PARTY_UNAVAILABLE: { code: 702, message: '{service} is unavailable; try again shortly.' },
  THIRD_PARTY_REMOTE_ERROR: { code: 703, message: '{service} answered with an error: {reason}' },
  THIRD_PARTY_CIRCUIT_OPEN: { code: 704, message: '{service} is failing; calls are paused for a while.' },

  // Auth (900–999).
  AUTH_REQUIRED: { code: 900, message: 'Log in first: this needs a valid session token.' },
  AUTH_INVALID_TOKEN: { code: 901, message: 'The session token is invalid or has expired; log in again.' },
  AUTH_BAD_CREDENTIALS: { code: 902, message: 'The username or password is wrong.' },
  AUTH_RATE_LIMITED: { code: 903, message: 'Too many failed logins; try again in {retry_after} seconds.' },
  AUTH_ACCOUNT_DISABLED: { code: 904, message: 'This account is disabled; ask an administrator.' },
  AUTH_FORBIDDEN: { code: 950, message: 'You are not allowed to do this: it needs the permission {permission}.' },
  AUTH_NOT_HANDLER: { code: 951, message: 'Only the handler of this event or an admin may change it.' },
  AUTH_CLIENT_NOT_ALLOWED: { code: 952, message: 'This client address is not allowed.' },
  AUTH_CALLER_NOT_ALLOWED: {
    code: 953,
    message: '{caller} may not call {method}: thrift.callers does not allow it; ask for it to be added.',
  },

  // User: common (1000–1099).
  BAD_REQUEST: { code: 1000, message: 'The request is invalid: {reason}' },
  VALIDATION_FAILED: { code: 1001, message: 'Some fields are invalid: {fields}.' },
  MALFORMED_JSON: { code: 1002, message: 'The request body is not valid JSON.' },
  ROUTE_NOT_FOUND: { code: 1003, message: 'There is no route {method} {path}.' },
  BODY_TOO_LARGE: { code: 1004, message: 'The request body is larger than {limit}.' },
  INTEGER_OUT_OF_RANGE: { code: 1005, message: 'The field {field} is beyond the safe integer range.' },
  UNSUPPORTED_MEDIA_TYPE: { code: 1006, message: 'Send the body as application/json.' },
  METHOD_NOT_ALLOWED: { code: 1007, message: 'The method {method} is not allowed on {path}.' },
  BODY_UNREADABLE: {
    code: 1010,
    message: 'The request body could not be read as its Content-Encoding ({encoding}) says; send it again whole.',
  },
  UNSUPPORTED_CONTENT_ENCODING: {
    code: 1011,
    message: 'The Content-Encoding {encoding} is not supported; send the body as identity, gzip, deflate or br.',
  },
  REQUEST_TIMEOUT: {
    code: 1012,
    message: 'The request did not arrive within {timeout_ms} ms; send it again, whole and without pauses.',
  },
  HEADERS_TOO_LARGE: { code: 1013, message: 'The request headers are larger than the server accepts.' },

  // User: customer-service events (1100–1199).
  CS_EVENT_NOT_FOUND: { code: 1100, message: 'Customer-service event {id} was not found.' },
  CS_EVENT_DONE: { code: 1101, message: 'Event {id} is done; a done event cannot change.' },
  CS_SAME_STATUS: { code: 1102, message: 'Event {id} is already {status}.' },
  CS_FORWARD_NEEDS_HANDLER: { code: 1103, message: 'Forwarding needs handler_id: the staff id of the new handler.' },
  CS_CATEGORY_NOT_FOUND: { code: 1104, message: 'Category {id} does not exist or is not valid.' },
  CS_CATEGORY_PARENT: { code: 1105, message: 'Category {name} cannot be placed under {parent}: {reason}' },
  CS_CATEGORY_CONFLICT: { code: 1106, message: 'A category named {name} already exists under the same parent.' },
  CS_REQUEST_KEY_CONFLICT: { code: 1107, message: 'Request key {key} was already used for a different request.' },
  CS_HANDLER_INVALID: {
    code: 1109,
    message:
      'Staff {id} cannot handle events: there is no enabled staff member with that id allowed to (cs_event.write).',
  },
  CS_NOTHING_TO_UPDATE: { code: 1108, message: 'Give at least one of priority, category_id, compensation or content.' },

  // User: risk review (1200–1299).
  RISK_ORDER_NOT_FOUND: { code: 1200, message: 'Order {order_id} has not been flagged as suspicious.' },
  RISK_ALREADY_REVIEWED: { code: 1201, message: 'Order {order_id} was already judged {verdict}.' },

  // make domain: new domains' blocks go above this line.
} as const satisfies Record<string, { code: number; message: string }>;

export type ErrorName = keyof typeof ERROR_CODES;

/** The class a code belongs to, from its range. */
export type ErrorClassName = 'DevError' | 'ServerError' | 'ThirdPartyError' | 'AuthError' | 'UserError';

export function classOfCode(code: number): ErrorClassName {
  if (code < 100) return 'DevError';
  if (code < 700) return 'ServerError';
  if (code < 900) return 'ThirdPartyError';
  if (code < 1000) return 'AuthError';
  return 'UserError';
}
