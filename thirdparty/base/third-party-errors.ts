import { ThirdPartyError } from '../../src/exception';

/** How one call to a sibling service ended, as named in metrics and logs. */
export type CallOutcome = 'ok' | 'timeout' | 'unavailable' | 'remote_error' | 'circuit_open' | 'error';

/** The service did not answer within the deadline (701). */
export function timeoutError(service: string, timeoutMs: number, cause?: unknown): ThirdPartyError {
  return new ThirdPartyError('THIRD_PARTY_TIMEOUT', { params: { service, timeout_ms: timeoutMs }, cause });
}

/** The service could not be reached, or dropped the connection mid-call (702). */
export function unavailableError(service: string, cause?: unknown): ThirdPartyError {
  return new ThirdPartyError('THIRD_PARTY_UNAVAILABLE', { params: { service }, cause });
}

/**
 * The service answered with an exception (703). `reason` names only the kind
 * and code of the remote exception; its message goes to the log, never into
 * ours, since it is another team's text and may carry their internals.
 */
export function remoteError(service: string, reason: string, cause?: unknown): ThirdPartyError {
  return new ThirdPartyError('THIRD_PARTY_REMOTE_ERROR', { params: { service, reason }, cause });
}

/**
 * Thrown while converting a reply that arrived whole but holds data we cannot
 * represent (an unknown enum value, a number beyond range). Thrown inside
 * the call, it ends it as a remote error (703) with the detail in the log.
 */
export class ReplyDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplyDataError';
  }
}

/** The circuit breaker is open: the call was not made (704). */
export function circuitOpenError(service: string): ThirdPartyError {
  return new ThirdPartyError('THIRD_PARTY_CIRCUIT_OPEN', { params: { service } });
}

/** Timeouts and unavailability: the failures worth a retry, and the ones the breaker counts. */
export function isTransient(err: unknown): err is ThirdPartyError {
  return (
    err instanceof ThirdPartyError &&
    (err.errorName === 'THIRD_PARTY_TIMEOUT' || err.errorName === 'THIRD_PARTY_UNAVAILABLE')
  );
}

/** The metric and log name of how a call ended. */
export function outcomeOf(err: unknown): CallOutcome {
  if (!(err instanceof ThirdPartyError)) return 'error';
  switch (err.errorName) {
    case 'THIRD_PARTY_TIMEOUT':
      return 'timeout';
    case 'THIRD_PARTY_UNAVAILABLE':
      return 'unavailable';
    case 'THIRD_PARTY_CIRCUIT_OPEN':
      return 'circuit_open';
    default:
      return 'remote_error';
  }
}

/** The innermost message of an error chain, for a log line. */
export function causeText(err: unknown): string | undefined {
  let current: unknown = err;
  let text: string | undefined;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    text = current.message;
    current = current.cause;
  }
  return text;
}
