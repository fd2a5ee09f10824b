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

/** What a Sequelize transaction holds: its instance and, once begun, its connection (Sequelize's typings omit both). */
interface TransactionInternals {
  sequelize: Sequelize;
  connection?: RawConnection;
}

function connectionOf(tx: Transaction): RawConnection {
  const { connection } = tx as unknown as TransactionInternals;
  if (!connection) throw new Error('The transaction has no connection: it has ended or has not begun.');
  return connection;
}

function run<T>(tx: Transaction, sql: string, values: readonly unknown[]): Promise<T> {
  const connection = connectionOf(tx);
  const recorder = recorders.get((tx as unknown as TransactionInternals).sequelize);
  const started = performance.now();
  // mysql2 refuses undefined; an absent optional value is NULL.
  const bound = values.map((v) => (v === undefined ? null : v));
  return new Promise<T>((resolve, reject) => {
    connection.execute(sql, bound, (err, result) => {
      recorder?.(sql, performance.now() - started);
      if (err) reject(err);
      else resolve(result as T);
    });
  });
}

/** One INSERT, UPDATE or DELETE in `tx`, as a prepared statement. */
export function executeWrite(tx: Transaction, sql: string, values: readonly unknown[]): Promise<WriteResult> {
  return run<WriteResult>(tx, sql, values);
}

/** One SELECT in `tx`, as a prepared statement: rows as plain objects (BIGINT as strings, DATETIME as Date). */
export function executeSelect<T extends object>(
  tx: Transaction,
  sql: string,
  values: readonly unknown[],
): Promise<T[]> {
  return run<T[]>(tx, sql, values);
}
