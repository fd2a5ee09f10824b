import { ConnectionAcquireTimeoutError, ConnectionError, DatabaseError, TimeoutError } from 'sequelize';
import { registerErrorClassifier, ServerError } from '../../exception';
import { outages } from '../log/outage';

/** mysql2's code for a query that outlived its `timeout` (mysql.query_timeout_ms). */
export const QUERY_TIMEOUT_CODE = 'PROTOCOL_SEQUENCE_TIMEOUT';

/** Driver codes that mean the server could not be reached or the connection died, not that the SQL was wrong. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_CON_COUNT_ERROR',
]);

interface DriverError {
  code?: unknown;
  errno?: unknown;
  fatal?: unknown;
  message?: unknown;
}

/** The mysql2 error under a Sequelize one, or the error itself when it is a raw mysql2 error. */
function driverErrorOf(err: unknown): DriverError | undefined {
  if (err instanceof DatabaseError) return err.original ?? err.parent;
  if (err instanceof Error && ('fatal' in err || 'sqlState' in err || 'errno' in err)) return err;
  return undefined;
}

/**
 * The server's own statement limit (mysql-guard sets it a little under
 * mysql.query_timeout_ms on each connection): MariaDB's max_statement_time
 * (errno 1969) or MySQL's max_execution_time (3024). mysql2 gives these no
 * code, only the errno.
 */
const STATEMENT_TIMEOUT_ERRNOS = new Set([1969, 3024]);

/**
 * Whether the server ended a statement for running past its time limit: a
 * slow query, on a server that answered and whose connection stays usable,
 * not an outage.
 */
export function isStatementTimeout(err: unknown): boolean {
  const errno = driverErrorOf(err)?.errno;
  return typeof errno === 'number' && STATEMENT_TIMEOUT_ERRNOS.has(errno);
}

/**
 * Whether a MySQL failure says the server is out of reach (refused, gone
 * away, frozen past the deadline) rather than that a statement was wrong.
 * The replica fallback (mysql.ts) retries only these.
 */
export function isMysqlUnavailable(err: unknown): boolean {
  if (err instanceof ConnectionError || err instanceof TimeoutError) return true;
  const driver = driverErrorOf(err);
  if (!driver) return false;
  const code = typeof driver.code === 'string' ? driver.code : '';
  if (code === QUERY_TIMEOUT_CODE || UNREACHABLE_CODES.has(code)) return true;
  if (driver.fatal === true) return true;
  // A raw connection error from a pooled connection that is already closed.
  return typeof driver.message === 'string' && /closed state|Connection lost/i.test(driver.message);
}

/**
 * MySQL and Redis failures as ServerError, so a caller gets 503 and a code
 * naming the dependency, never an internal error (500, code 1):
 * - no pooled connection in time, or a query past mysql.query_timeout_ms
 *   (ended by the server's statement limit, or by our deadline when the
 *   server does not answer at all): DATABASE_TIMEOUT (201, 503);
 * - the server refused, went away, or the connection died: DATABASE_UNAVAILABLE (202, 503);
 * - any other statement failure: DATABASE_ERROR (200, 500): a bug or a
 *   schema problem, which a retry does not fix;
 * - a Redis command failure: CACHE_ERROR (300, 503).
 * The driver's message stays in the cause, for the log only.
 */
registerErrorClassifier((err) => {
  if (err instanceof ConnectionAcquireTimeoutError || err instanceof TimeoutError) {
    return new ServerError('DATABASE_TIMEOUT', { cause: err });
  }
  const driver = driverErrorOf(err);
  if (driver?.code === QUERY_TIMEOUT_CODE || isStatementTimeout(err))
    return new ServerError('DATABASE_TIMEOUT', { cause: err });
  if (isMysqlUnavailable(err)) return new ServerError('DATABASE_UNAVAILABLE', { cause: err });
  // A statement the server refused, through Sequelize or as a raw mysql2 error (core/db/statements).
  if (err instanceof DatabaseError || (err instanceof Error && 'sqlState' in err))
    return new ServerError('DATABASE_ERROR', { cause: err });
  return undefined;
});

const REDIS_ERRORS = new Set(['ReplyError', 'MaxRetriesPerRequestError', 'AbortError', 'ClusterAllFailedError']);

registerErrorClassifier((err) => {
  // An AbortController's abort (e.g. a job's timeout) is a DOMException named AbortError too: not Redis.
  if (!(err instanceof Error) || err instanceof DOMException) return undefined;
  const offline =
    /Connection is closed|Stream isn't writeable|enableOfflineQueue|Command timed out|Redis is unreachable/.test(
      err.message,
    );
  if (REDIS_ERRORS.has(err.name) || offline) return new ServerError('CACHE_ERROR', { cause: err });
  return undefined;
});

// A statement the server ended at its time limit fails its request with 201, but the server answered:
// the slow-query line says what ran, and MySQL is not logged as down for everyone else.
outages.notAnOutage('mysql', isStatementTimeout);
