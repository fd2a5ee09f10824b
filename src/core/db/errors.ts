import { ConnectionAcquireTimeoutError, ConnectionError, DatabaseError, TimeoutError } from 'sequelize';
import { registerErrorClassifier, ServerError } from '../../exception';

/**
 * MySQL and Redis failures as ServerError: a pool that could not hand out a
 * connection in time is DATABASE_TIMEOUT (503), any other driver failure
 * DATABASE_ERROR (500); a Redis command failure CACHE_ERROR. The driver's
 * message stays in the cause, for the log only.
 */
registerErrorClassifier((err) => {
  if (err instanceof ConnectionAcquireTimeoutError || err instanceof TimeoutError) {
    return new ServerError('DATABASE_TIMEOUT', { cause: err });
  }
  if (err instanceof ConnectionError || err instanceof DatabaseError)
    return new ServerError('DATABASE_ERROR', { cause: err });
  return undefined;
});

const REDIS_ERRORS = new Set(['ReplyError', 'MaxRetriesPerRequestError', 'AbortError', 'ClusterAllFailedError']);

registerErrorClassifier((err) => {
  // An AbortController's abort (e.g. a job's timeout) is a DOMException named AbortError too: not Redis.
  if (!(err instanceof Error) || err instanceof DOMException) return undefined;
  const offline = /Connection is closed|Stream isn't writeable|enableOfflineQueue|Command timed out/.test(err.message);
  if (REDIS_ERRORS.has(err.name) || offline) return new ServerError('CACHE_ERROR', { cause: err });
  return undefined;
});
