import { classOfCode, DevError, ERROR_CODES, type ErrorName } from '../../exception';
import { httpStatusOfName } from '../response/http-status';
import type { Route } from './route';

/**
 * What the JSON body parser answers before any route runs, on every method
 * that carries a body (body-parser's errors, mapped in http-app.ts, the
 * nesting limit, and a body that does not arrive in time).
 */
export const BODY_PARSE_ERRORS: readonly ErrorName[] = [
  'MALFORMED_JSON',
  'BAD_REQUEST',
  'BODY_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'BODY_UNREADABLE',
  'UNSUPPORTED_CONTENT_ENCODING',
  'REQUEST_TIMEOUT',
];

/** The methods whose body the parser reads (http-app.ts skips GET, HEAD and DELETE). */
const BODY_METHODS: ReadonlySet<string> = new Set(['post', 'put', 'patch']);

/**
 * What any declared route can answer: the internal error any code can end
 * in, and the per-request ceiling (http.request_timeout_ms, http-app.ts).
 */
const EVERY_ROUTE: readonly ErrorName[] = ['INTERNAL', 'REQUEST_DEADLINE'];

/** A route's auth check (core/auth/authorize.ts). */
const AUTH_ERRORS: readonly ErrorName[] = ['AUTH_REQUIRED', 'AUTH_INVALID_TOKEN'];

/**
 * What a route that reads MySQL, Redis or another store answers when one
 * fails or is slow: every server-class code but the drain's, which only
 * GET /health reports. Taken from the code table, so a code added there is
 * declared on every such route at once.
 */
function dependencyErrors(): ErrorName[] {
  return (Object.keys(ERROR_CODES) as ErrorName[]).filter(
    (name) =>
      classOfCode(ERROR_CODES[name].code) === 'ServerError' && name !== 'SHUTTING_DOWN' && name !== 'OVERLOADED',
  );
}

/**
 * Every error a route can answer with, by name: those it declares, the
 * validation of its input, the body parser's, the auth check's, its
 * dependencies', the internal error and the request ceiling's.
 */
export function errorNamesOf(route: Route): ErrorName[] {
  const names = new Set<string>(route.errors);
  if (route.params || route.query || route.body) names.add('VALIDATION_FAILED');
  if (BODY_METHODS.has(route.method)) for (const name of BODY_PARSE_ERRORS) names.add(name);
  if (route.permission !== 'public') {
    for (const name of AUTH_ERRORS) names.add(name);
    if (route.permission !== 'authenticated') names.add('AUTH_FORBIDDEN');
  }
  if (route.usesDependencies) for (const name of dependencyErrors()) names.add(name);
  for (const name of EVERY_ROUTE) names.add(name);
  // Admission's answer past the door's limits (core/pipeline/admission.ts), on every route it may shed.
  if (route.shed) names.add('OVERLOADED');
  for (const name of names) {
    if (!(name in ERROR_CODES)) {
      throw new DevError('UNDEFINED_ERROR_CODE', { params: { name: `${name} (declared by ${route.path})` } });
    }
  }
  return [...names] as ErrorName[];
}

/** The error names of a route grouped by the HTTP status each is answered with, statuses in order. */
export function errorsByStatus(route: Route): Map<number, ErrorName[]> {
  const byStatus = new Map<number, ErrorName[]>();
  for (const name of errorNamesOf(route)) {
    const status = httpStatusOfName(name);
    byStatus.set(status, [...(byStatus.get(status) ?? []), name]);
  }
  return new Map([...byStatus.entries()].sort(([a], [b]) => a - b));
}
