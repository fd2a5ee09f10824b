import { classOfCode, ERROR_CODES, type ErrorName, type TandemError } from '../../exception';

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
  REQUEST_TIMEOUT: 408,
  HEADERS_TOO_LARGE: 431,
  UNSUPPORTED_MEDIA_TYPE: 415,
  AUTH_FORBIDDEN: 403,
  AUTH_NOT_HANDLER: 403,
  AUTH_CLIENT_NOT_ALLOWED: 403,
  AUTH_ACCOUNT_DISABLED: 403,
  AUTH_RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  SHUTTING_DOWN: 503,
  OVERLOADED: 503,
  REQUEST_DEADLINE: 503,
  DATABASE_TIMEOUT: 503,
  DATABASE_UNAVAILABLE: 503,
  CACHE_ERROR: 503,
  DOCUMENT_STORE_ERROR: 503,
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

/** The HTTP status an error of this name is answered with, for the OpenAPI document. */
export function httpStatusOfName(name: ErrorName): number {
  return BY_CODE[name] ?? BY_CLASS[classOfCode(ERROR_CODES[name].code)];
}

/** Seconds a caller should wait before retrying an answer of this status, when it is worth retrying at all. */
const RETRY_AFTER_503_SECONDS = 1;

/**
 * The Retry-After of an error answer: the error's own `retry_after` (a rate
 * limit), else one second for any 503 (a dependency down, a deadline, a
 * drain): short, because the service is back within a second of its
 * dependency, and a caller that backs off further is free to.
 */
export function retryAfterOf(err: TandemError, status: number): number | string | undefined {
  const own = err.params.retry_after;
  if (own !== undefined) return own;
  return status === 503 ? RETRY_AFTER_503_SECONDS : undefined;
}
