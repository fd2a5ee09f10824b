import type { Sequelize, Transaction } from 'sequelize';

/**
 * Prepared statements on a transaction's own connection: the write paths'
 * way to MySQL. Sequelize stays the home of the models, the migrations, the
 * transactions and the reads; a write's few statements go straight to
 * mysql2's `execute` on the connection Sequelize's transaction holds,
 * because building a model instance (defaults, `set`, validation, hooks,
 * query generation, bind formatting, lodash clones) cost more CPU than the
 * statement itself: 29% of a create's busy time, and a create three times
 * the CPU of a bare mysql2 handler (docs/decisions.md, "Writes run prepared
 * statements"). What the statement gets is what Sequelize's queries get:
 * the connection's deadline (mysql-guard wraps `execute`), the statsd
 * timing and the slow-query line (the recorder createSequelize registers),
 * and errors classified the same way (core/db/errors).
 */

/** mysql2's callback connection as a Sequelize transaction holds it (Sequelize's typings omit it). */
interface RawConnection {
  execute: (sql: string, values: unknown[], callback: (err: Error | null, result: unknown) => void) => void;
  query: (sql: string, callback: (err: Error | null, result: unknown) => void) => void;
}

/** Times one statement and logs it when slow: registered per Sequelize instance by createSequelize. */
export type QueryRecorder = (sql: string, ms: number) => void;

const recorders = new WeakMap<Sequelize, QueryRecorder>();

export function registerQueryRecorder(sequelize: Sequelize, recorder: QueryRecorder): void {
  recorders.set(sequelize, recorder);
}

/** What an INSERT, UPDATE or DELETE answers. */
export interface WriteResult {
  insertId: number;
  affectedRows: number;
}

/**
 * A write's transaction on the primary, begun and ended by
 * `statementTransaction`: the connection it holds, and what runs once it
 * has committed.
 */
export interface StatementTransaction {
  readonly sequelize: Sequelize;
  readonly connection: RawConnection | undefined;
  /** Runs `fn` after the COMMIT succeeded (never after a rollback), as Sequelize's `afterCommit` does. */
  afterCommit(fn: () => unknown): void;
}

/** Where a statement runs: a Sequelize transaction (the risk review's unit of work) or a write's own. */
export type StatementScope = Transaction | StatementTransaction;

/** What a Sequelize transaction holds: its instance and, once begun, its connection (Sequelize's typings omit both). */
interface ScopeInternals {
  sequelize: Sequelize;
  connection?: RawConnection;
}

function connectionOf(scope: StatementScope): RawConnection {
  const { connection } = scope as unknown as ScopeInternals;
  if (!connection) throw new Error('The transaction has no connection: it has ended or has not begun.');
  return connection;
}

/** Sends one statement on `connection`: prepared (`execute`) with values, as text (`query`) without. */
function send<T>(
  sequelize: Sequelize,
  connection: RawConnection,
  sql: string,
  values?: readonly unknown[],
): Promise<T> {
  const recorder = recorders.get(sequelize);
  const started = performance.now();
  return new Promise<T>((resolve, reject) => {
    const done = (err: Error | null, result: unknown): void => {
      recorder?.(sql, performance.now() - started);
      if (err) reject(err);
      else resolve(result as T);
    };
    // mysql2 refuses undefined; an absent optional value is NULL.
    if (values)
      connection.execute(
        sql,
        values.map((v) => (v === undefined ? null : v)),
        done,
      );
    else connection.query(sql, done);
  });
}

function run<T>(scope: StatementScope, sql: string, values: readonly unknown[]): Promise<T> {
  return send<T>((scope as unknown as ScopeInternals).sequelize, connectionOf(scope), sql, values);
}

/** Sequelize's connection manager, as far as a write's own transaction uses it (its typings leave these out). */
interface ConnectionManager {
  getConnection: (options?: { type?: string; useMaster?: boolean }) => Promise<RawConnection>;
  releaseConnection: (connection: RawConnection) => Promise<void> | void;
  destroyConnection: (connection: RawConnection) => Promise<void>;
}

/**
 * Runs `fn` in a transaction on the primary: START TRANSACTION, `fn`'s
 * statements, COMMIT; on a throw ROLLBACK and the throw again. It is what
 * `sequelize.transaction(fn)` does, on the same pool (so the pool metrics,
 * its acquire timeout and its errors are the same), the same guarded
 * connection (the query deadline) and the same statsd timing and slow-query
 * line, without Sequelize's Transaction object and its query machinery
 * (option clones, hooks, query generation) for the three statements: the
 * write paths' hot spot (docs/decisions.md, "Writes run prepared
 * statements"). A connection whose ROLLBACK fails is destroyed, not handed
 * out again in an unknown state, as Sequelize does.
 */
export async function statementTransaction<T>(
  sequelize: Sequelize,
  fn: (tx: StatementTransaction) => Promise<T>,
): Promise<T> {
  const manager = sequelize.connectionManager as unknown as ConnectionManager;
  const connection = await manager.getConnection({ useMaster: true });
  const committed: (() => unknown)[] = [];
  const tx: { sequelize: Sequelize; connection: RawConnection | undefined; afterCommit(fn: () => unknown): void } = {
    sequelize,
    connection,
    afterCommit: (hook) => {
      committed.push(hook);
    },
  };
  let result: T;
  try {
    await send(sequelize, connection, 'START TRANSACTION');
    result = await fn(tx);
    await send(sequelize, connection, 'COMMIT');
  } catch (err) {
    tx.connection = undefined;
    try {
      await send(sequelize, connection, 'ROLLBACK');
      await manager.releaseConnection(connection);
    } catch {
      // The connection is in an unknown state (or gone): it is not handed out again.
      await manager.destroyConnection(connection).catch(() => undefined);
    }
    throw err;
  }
  tx.connection = undefined;
  await manager.releaseConnection(connection);
  for (const hook of committed) await hook();
  return result;
}

/** One INSERT, UPDATE or DELETE in `tx`, as a prepared statement. */
export function executeWrite(tx: StatementScope, sql: string, values: readonly unknown[]): Promise<WriteResult> {
  return run<WriteResult>(tx, sql, values);
}

/** One SELECT in `tx`, as a prepared statement: rows as plain objects (BIGINT as strings, DATETIME as Date). */
export function executeSelect<T extends object>(
  tx: StatementScope,
  sql: string,
  values: readonly unknown[],
): Promise<T[]> {
  return run<T[]>(tx, sql, values);
}
