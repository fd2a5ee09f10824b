import type { Sequelize } from 'sequelize';
import { logger } from '../log';
import { outages } from '../log/outage';
import { statsd } from '../monitor';
import { isMysqlUnavailable, isStatementTimeout, QUERY_TIMEOUT_CODE } from './errors';

/**
 * What Sequelize hands its hooks and pools: a mysql2 connection. Sequelize's
 * typings do not export it (hooks see `unknown`), so this is the part we use.
 */
interface PooledConnection {
  query: (...args: unknown[]) => unknown;
  execute: (...args: unknown[]) => unknown;
  destroy: () => void;
  /** Which replica this connection is to (index in mysql.replicas); absent for the primary. */
  tandemReplica?: number;
  /** A read connection to the primary, opened while every replica was out. */
  tandemFallback?: boolean;
}

interface ServerAddress {
  host?: string;
  port?: number | string;
}

/** sequelize-pool's Pool, as far as we use it: its factory (create, validate). */
interface PoolWithFactory {
  _factory: { create: () => Promise<PooledConnection>; validate: (c: PooledConnection) => boolean };
}

/** Sequelize's connection manager, as far as the replica failover needs it. */
interface ConnectionManagerInternals {
  _connect: (config: ServerAddress) => Promise<PooledConnection & { queryType?: string }>;
  config: { replication?: { read: ServerAddress[]; write: ServerAddress } };
  pool: { read?: PoolWithFactory };
}

/**
 * The replicas of this process and which are out: a replica that failed a
 * connection or a read is left out for `outForMs`, then tried again.
 */
export class ReplicaSet {
  private readonly outUntil: number[];
  private next = 0;

  constructor(
    readonly addresses: readonly ServerAddress[],
    private readonly outForMs: number,
  ) {
    this.outUntil = addresses.map(() => 0);
  }

  indexOf(address: ServerAddress): number {
    return this.addresses.findIndex((a) => a.host === address.host && Number(a.port) === Number(address.port));
  }

  isOut(index: number, now = Date.now()): boolean {
    return (this.outUntil[index] ?? 0) > now;
  }

  /** Takes a replica out for a while: logged once when it goes out, counted every time. */
  takeOut(index: number, err: unknown): void {
    statsd.increment('mysql.replica.failures');
    const now = Date.now();
    const wasOut = this.isOut(index, now);
    this.outUntil[index] = now + this.outForMs;
    if (!wasOut) {
      const address = this.addresses[index];
      logger.warn('a MySQL replica failed; reading from the others or the primary for a while', {
        replica: `${address?.host ?? '?'}:${address?.port ?? '?'}`,
        out_for_ms: this.outForMs,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }

  /** Whether some replica is in service (not out) now. */
  anyIn(now = Date.now()): boolean {
    return this.outUntil.some((until) => until <= now);
  }

  /** The replicas to try, in round-robin order, those in service first. */
  order(): number[] {
    const n = this.addresses.length;
    const start = this.next++ % n;
    const all = Array.from({ length: n }, (_, i) => (start + i) % n);
    const now = Date.now();
    return [...all.filter((i) => !this.isOut(i, now)), ...all.filter((i) => this.isOut(i, now))];
  }
}

function timeoutError(ms: number): Error {
  return Object.assign(new Error(`Query inactivity timeout: no answer within ${ms} ms`), {
    code: QUERY_TIMEOUT_CODE,
    fatal: true,
  });
}

/**
 * Gives every query on `connection` a deadline: past `timeoutMs` without an
 * answer (a frozen server, a black-holed host) the query fails and the
 * connection is destroyed, so the pool does not hand it out again and the
 * commands queued on it fail at once. mysql2's own `timeout` option is not
 * used: it covers `query` only, not `execute` (Sequelize's path for bound
 * parameters), and leaves the connection in the pool.
 */
function guardConnection(
  connection: PooledConnection,
  timeoutMs: number,
  onUnavailable: (err: unknown) => void,
  onAnswer: () => void,
): void {
  for (const method of ['query', 'execute'] as const) {
    const original = connection[method].bind(connection);
    connection[method] = (...args: unknown[]): unknown => {
      const last = args.length - 1;
      const callback = args[last];
      if (typeof callback !== 'function' || timeoutMs <= 0) return original(...args);
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        const err = timeoutError(timeoutMs);
        onUnavailable(err);
        connection.destroy();
        (callback as (err: Error) => void)(err);
      }, timeoutMs);
      args[last] = (err: unknown, ...rest: unknown[]): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        // A statement the server ended at its limit is an answer: the server is there.
        if (!err || isStatementTimeout(err)) onAnswer();
        else if (isMysqlUnavailable(err)) onUnavailable(err);
        (callback as (...a: unknown[]) => void)(err, ...rest);
      };
      try {
        return original(...args);
      } catch (err) {
        // Refused before it was sent (mysql2 throws for a bind value it cannot send): the deadline has no
        // query to watch, and left running it would destroy the connection later under someone else's query.
        settled = true;
        clearTimeout(timer);
        throw err;
      }
    };
  }
}

/**
 * The server's own limit on one statement, a little under our deadline:
 * a slow query is then ended by the server, which answers with an error
 * (isStatementTimeout) and keeps the connection, before our deadline would
 * have to destroy it and call the server unreachable. Our deadline stays
 * for a server that does not answer at all. MariaDB's max_statement_time
 * is in seconds; MySQL's max_execution_time (milliseconds, SELECTs only) is
 * tried when the first is unknown.
 */
export function statementLimitMs(queryTimeoutMs: number): number {
  return queryTimeoutMs <= 0 ? 0 : Math.max(1, queryTimeoutMs - Math.min(500, Math.floor(queryTimeoutMs / 5)));
}

function limitStatements(connection: PooledConnection, queryTimeoutMs: number): Promise<void> {
  const ms = statementLimitMs(queryTimeoutMs);
  if (ms === 0) return Promise.resolve();
  const run = (sql: string): Promise<void> =>
    new Promise((resolve, reject) => {
      connection.query(sql, (err: Error | null) => (err ? reject(err) : resolve()));
    });
  // A server with neither variable keeps only our deadline, as before.
  return run(`SET SESSION max_statement_time = ${(ms / 1000).toFixed(3)}`).catch(() =>
    run(`SET SESSION max_execution_time = ${ms}`).catch(() => undefined),
  );
}

/**
 * Deadlines on every MySQL query (mysql.query_timeout_ms), and, with
 * replicas, a failover for reads: a replica that cannot be connected to, or
 * fails a read for being unreachable, is taken out for `replicaOutMs`; new
 * read connections go to the replicas still in service, or to the primary
 * when none is; and (see createSequelize) the failed read is retried once
 * on the primary.
 */
export function guardMysql(sequelize: Sequelize, options: { queryTimeoutMs: number; replicas?: ReplicaSet }): void {
  const { queryTimeoutMs, replicas } = options;
  sequelize.addHook('afterConnect', async (raw: unknown, address: unknown) => {
    const connection = raw as PooledConnection;
    const index = replicas ? replicas.indexOf(address as ServerAddress) : -1;
    if (index >= 0) connection.tandemReplica = index;
    guardConnection(
      connection,
      queryTimeoutMs,
      (err) => {
        if (index >= 0) replicas?.takeOut(index, err);
      },
      // The outage log's "mysql" is the primary: a replica answering says nothing about it.
      index >= 0 ? () => undefined : mysqlAnswered,
    );
    // After the guard: the SET has the deadline too (a server that froze right after the handshake).
    await limitStatements(connection, queryTimeoutMs);
  });
  if (!replicas) return;
  // Sequelize's internals: the read pool's factory is where a new read connection picks its server.
  const manager = sequelize.connectionManager as unknown as ConnectionManagerInternals;
  const readPool = manager.pool.read;
  const replication = manager.config.replication;
  if (!readPool || !replication) return;
  const configs = replication.read;
  const validate = readPool._factory.validate;
  // A connection to a replica that is out is dropped when next taken; so is a fallback connection to
  // the primary once a replica is back, so that reads return to the replicas.
  readPool._factory.validate = (connection) =>
    validate(connection) &&
    !(connection.tandemReplica !== undefined && replicas.isOut(connection.tandemReplica)) &&
    !(connection.tandemFallback === true && replicas.anyIn());
  readPool._factory.create = async () => {
    for (const index of replicas.order()) {
      if (replicas.isOut(index)) break;
      const config = configs[index];
      if (!config) continue;
      try {
        const connection = await manager._connect(config);
        connection.queryType = 'read';
        return connection;
      } catch (err) {
        replicas.takeOut(index, err);
      }
    }
    // No replica in service: read from the primary (its connection still belongs to the read pool).
    const connection = await manager._connect(replication.write);
    connection.queryType = 'read';
    connection.tandemFallback = true;
    return connection;
  };
}

/** Marks MySQL as answering again in the outage log (cheap when it was not down). */
export function mysqlAnswered(): void {
  outages.up('mysql');
}
