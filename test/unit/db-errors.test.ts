import { ConnectionAcquireTimeoutError, ConnectionRefusedError, DatabaseError } from 'sequelize';
import '../../src/core/db/mysql';
import { httpStatusOf, retryAfterOf } from '../../src/core/response/http-status';
import { asTandemError, ServerError } from '../../src/exception';

describe('dependency failures as errors of ours', () => {
  it('when MySQL refuses connections, then it is a ServerError DATABASE_UNAVAILABLE (202, 503), not an internal error', () => {
    const err = asTandemError(new ConnectionRefusedError(new Error('connect ECONNREFUSED 127.0.0.1:3306')));
    expect(err).toBeInstanceOf(ServerError);
    expect(err.code).toBe(202);
    expect(httpStatusOf(err)).toBe(503);
    expect(err.message).not.toContain('ECONNREFUSED');
  });

  it('when a query fails in the database, then it is DATABASE_ERROR with the driver message only in the cause', () => {
    const driver = Object.assign(new Error("Table 'tandem.risk_flagged_order' doesn't exist"), { sql: 'SELECT 1' });
    const err = asTandemError(new DatabaseError(driver));
    expect(err.code).toBe(200);
    expect(err.message).not.toContain('risk_flagged_order');
    expect((err.cause as Error).message).toContain('risk_flagged_order');
  });

  it('when a pooled connection dies under a query (server shut down), then DATABASE_UNAVAILABLE (202), even raw from mysql2', () => {
    const lost = Object.assign(new Error('Connection lost: The server closed the connection.'), {
      code: 'PROTOCOL_CONNECTION_LOST',
      sql: 'SELECT 1',
      fatal: true,
    });
    expect(asTandemError(new DatabaseError(lost)).code).toBe(202);
    expect(asTandemError(lost).code).toBe(202);
    const closed = Object.assign(new Error("Can't add new command when connection is in closed state"), {
      fatal: true,
    });
    expect(asTandemError(closed).code).toBe(202);
  });

  it('when a query outlives mysql.query_timeout_ms (a frozen server), then DATABASE_TIMEOUT (201, 503)', () => {
    const timeout = Object.assign(new Error('Query inactivity timeout'), {
      code: 'PROTOCOL_SEQUENCE_TIMEOUT',
      sql: 'SELECT 1',
    });
    const err = asTandemError(new DatabaseError(timeout));
    expect(err.code).toBe(201);
    expect(httpStatusOf(err)).toBe(503);
  });

  it('when no pooled connection frees up in time, then it is DATABASE_TIMEOUT (201)', () => {
    expect(asTandemError(new ConnectionAcquireTimeoutError(new Error('timeout'))).code).toBe(201);
  });

  it('when Redis is offline, then a command failure is CACHE_ERROR (300, 503 with Retry-After)', () => {
    const err = asTandemError(new Error("Stream isn't writeable and enableOfflineQueue options is false"));
    expect(err.code).toBe(300);
    expect(httpStatusOf(err)).toBe(503);
    expect(retryAfterOf(err, 503)).toBe(1);
  });

  it('when an AbortController aborts (a job timeout), then it stays an internal DevError, not a Redis failure', () => {
    const controller = new AbortController();
    controller.abort();
    expect(asTandemError(controller.signal.reason).code).toBe(1);
  });

  it('when something unknown is thrown, then it stays an internal DevError (code 1)', () => {
    expect(asTandemError(new TypeError('x is undefined')).code).toBe(1);
  });
});
