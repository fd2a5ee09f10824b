import { asTandemError, type TandemError } from '../../exception';
import { logger } from '../log';
import { dependencyOfCode, outages } from '../log/outage';
import { ThrottledWarning } from '../log/throttled-warning';
import { prom } from '../monitor';

/** The front doors of the one operation pipeline. */
export type Door = 'http' | 'thrift';

/** Where a failure happened: the door, the request, and the route template or method. */
export interface FailureScope {
  door: Door;
  requestId: string;
  /** The route template (`POST /api/cs/events`) or the Thrift method. */
  operation: string;
}

/** Requests past their deadline: counted each, logged once a minute per door (a stuck dependency stalls many). */
const deadlineWarnings: Record<Door, ThrottledWarning> = {
  http: new ThrottledWarning(
    'requests are passing their deadline (http.request_timeout_ms) and answered 503; a dependency is slow or frozen',
    'http.deadline_exceeded',
  ),
  thrift: new ThrottledWarning(
    'Thrift calls are passing their deadline and answered ServerException 103; a dependency is slow or frozen',
    'thrift.deadline_exceeded',
  ),
};

/** Requests shed at admission: counted each (tandem_shed_total), logged once a minute per door. */
const shedWarnings: Record<Door, ThrottledWarning> = {
  http: new ThrottledWarning(
    'HTTP requests are shed (503, code 102): the door is at http.max_in_flight or the event loop lags past server.max_event_loop_lag_ms',
  ),
  thrift: new ThrottledWarning(
    'Thrift calls are shed (ServerException 102): the door or a caller is at its limit, or the event loop lags past server.max_event_loop_lag_ms',
  ),
};

/** 503s that are planned (draining, a required dependency down): logged once where they begin, not per answer. */
const PLANNED = new Set(['SHUTTING_DOWN', 'SERVICE_UNAVAILABLE']);

/**
 * What both doors do with a failure, decided once: count it by door and
 * kind, and log it as what it is. A dependency's outage is logged once per
 * outage (a line per request would flood the log while it lasts); a passed
 * deadline or a shed request once a minute; a planned 503 not at all; a failure of ours or of
 * a service we call (DevError, ServerError, ThirdPartyError) with its stack
 * and the request id; a caller's mistake (UserError, AuthError) only in the
 * access line. Returns our error for the door to answer with: each door
 * maps it to its own answer (an HTTP status and envelope, an IDL exception).
 */
export function recordFailure(raw: unknown, scope: FailureScope): TandemError {
  const err = asTandemError(raw);
  prom.errorsTotal.inc({ protocol: scope.door, kind: err.kind });
  if (err.errorName === 'REQUEST_DEADLINE') {
    deadlineWarnings[scope.door].warn({ request_id: scope.requestId });
    return err;
  }
  if (err.errorName === 'OVERLOADED') {
    shedWarnings[scope.door].warn({ reason: err.params.reason });
    return err;
  }
  if (PLANNED.has(err.errorName)) return err;
  const dependency = err.kind === 'ServerError' ? dependencyOfCode(err.code) : undefined;
  if (dependency) {
    outages.requestFailed(dependency, err.cause ?? err);
  } else if (err.kind === 'DevError' || err.kind === 'ServerError' || err.kind === 'ThirdPartyError') {
    const cause = err.cause instanceof Error ? err.cause : err;
    logger.error('request failed', {
      request_id: scope.requestId,
      door: scope.door,
      operation: scope.operation,
      kind: err.kind,
      code: err.code,
      error: cause.message,
      stack: cause.stack,
    });
  }
  return err;
}
