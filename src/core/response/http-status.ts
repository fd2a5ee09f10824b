import type { ErrorName, TandemError } from '../../exception';

/**
 * HTTP status of an error: per class by default, per code where the class
 * spans several statuses (not found, conflict, forbidden, timeout).
 * The error classes know nothing about HTTP; this table does.
 */
const BY_CLASS: Record<TandemError['kind'], number> = {
  UserError: 400,
  AuthError: 401,
  ServerError: 500,
  ThirdPartyError: 502,
  DevError: 500,
};

const BY_CODE: Partial<Record<ErrorName, number>> = {
  ROUTE_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  AUTH_FORBIDDEN: 403,
  AUTH_NOT_HANDLER: 403,
  AUTH_CLIENT_NOT_ALLOWED: 403,
  AUTH_ACCOUNT_DISABLED: 403,
  AUTH_RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  SHUTTING_DOWN: 503,
  OVERLOADED: 503,
  DATABASE_TIMEOUT: 503,
  THIRD_PARTY_TIMEOUT: 504,
  THIRD_PARTY_UNAVAILABLE: 503,
  THIRD_PARTY_CIRCUIT_OPEN: 503,
};

/** Lets a domain add its own codes (e.g. a not-found as 404) next to its routes. */
export function registerHttpStatus(entries: Partial<Record<ErrorName, number>>): void {
  Object.assign(BY_CODE, entries);
}

export function httpStatusOf(err: TandemError): number {
  return BY_CODE[err.errorName] ?? BY_CLASS[err.kind];
}
