import { QueryTypes, type Sequelize } from 'sequelize';
import { createSequelize } from '../../src/core/db/mysql';
import { executeSelect, executeWrite, registerQueryRecorder, statementTransaction } from '../../src/core/db/statements';
import { testConfig } from '../helpers/app';
import { freshDatabase } from '../helpers/db';

/**
 * statementTransaction, the write paths' own transaction, on the real
 * MariaDB: it commits, rolls back on a throw, runs its after-commit hooks
 * only after a commit, returns its connection to the pool, and destroys a
 * connection whose ROLLBACK fails instead of handing it out again.
 */

/** Sequelize's pool as these checks read it (its typings leave it out). */
interface PoolCounts {
  size: number;
  available: number;
  using: number;
}

let db: { database: string; drop: () => Promise<void> };
let sequelize: Sequelize;
const statements: string[] = [];

const pool = (): PoolCounts => (sequelize.connectionManager as unknown as { pool: PoolCounts }).pool;

async function rowsNamed(name: string): Promise<number> {
  const [row] = await sequelize.query<{ n: number }>('SELECT COUNT(*) AS n FROM tx_probe WHERE name = ?', {
    type: QueryTypes.SELECT,
    replacements: [name],
  });
  return Number(row?.n);
}

beforeAll(async () => {
  db = await freshDatabase();
  sequelize = createSequelize(testConfig({ mysql: { database: db.database, pool_max: 2 } }));
  await sequelize.query('CREATE TABLE tx_probe (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL)');
  // Recorded after createSequelize's own recorder: what each statement sent was, in order.
  registerQueryRecorder(sequelize, (sql) => statements.push(sql));
});

afterAll(async () => {
  await sequelize.close();
  await db.drop();
});

beforeEach(() => {
  statements.length = 0;
});

test('commits: the rows are there, the hooks run after the COMMIT, in order, and the connection is back in the pool', async () => {
  const order: string[] = [];
  const result = await statementTransaction(sequelize, async (tx) => {
    const { insertId } = await executeWrite(tx, 'INSERT INTO tx_probe (name) VALUES (?)', ['committed']);
    tx.afterCommit(() => order.push(`first, committed rows: ${statements.includes('COMMIT')}`));
    tx.afterCommit(() => order.push('second'));
    order.push('body');
    return insertId;
  });
  expect(result).toBeGreaterThan(0);
  expect(await rowsNamed('committed')).toBe(1);
  expect(order).toEqual(['body', 'first, committed rows: true', 'second']);
  expect(statements).toEqual(['START TRANSACTION', 'INSERT INTO tx_probe (name) VALUES (?)', 'COMMIT']);
  expect(pool().using).toBe(0);
});

test('a throw rolls back every statement, skips the hooks, rethrows the same error and returns the connection', async () => {
  let hookRan = false;
  const failure = new Error('the second statement failed');
  await expect(
    statementTransaction(sequelize, async (tx) => {
      await executeWrite(tx, 'INSERT INTO tx_probe (name) VALUES (?)', ['rolled-back']);
      const [seen] = await executeSelect<{ n: number }>(tx, 'SELECT COUNT(*) AS n FROM tx_probe WHERE name = ?', [
        'rolled-back',
      ]);
      expect(Number(seen?.n)).toBe(1);
      tx.afterCommit(() => {
        hookRan = true;
      });
      throw failure;
    }),
  ).rejects.toBe(failure);
  expect(await rowsNamed('rolled-back')).toBe(0);
  expect(hookRan).toBe(false);
  expect(statements.at(-1)).toBe('ROLLBACK');
  expect(pool().using).toBe(0);
});

test('a statement refused by MariaDB rolls back what ran before it', async () => {
  await expect(
    statementTransaction(sequelize, async (tx) => {
      await executeWrite(tx, 'INSERT INTO tx_probe (name) VALUES (?)', ['before-the-error']);
      await executeWrite(tx, 'INSERT INTO tx_probe (name) VALUES (?)', [null]);
    }),
  ).rejects.toMatchObject({ code: 'ER_BAD_NULL_ERROR' });
  expect(await rowsNamed('before-the-error')).toBe(0);
});

test('the transaction cannot be used once it has ended', async () => {
  let kept: Parameters<Parameters<typeof statementTransaction>[1]>[0] | undefined;
  await statementTransaction(sequelize, (tx) => {
    kept = tx;
    return Promise.resolve();
  });
  expect(() => executeWrite(kept!, 'INSERT INTO tx_probe (name) VALUES (?)', ['late'])).toThrow(/no connection/);
  expect(await rowsNamed('late')).toBe(0);
});

test('a connection killed mid-transaction is destroyed, not handed out again, and the next write gets a live one', async () => {
  const threadOf = async (tx: Parameters<Parameters<typeof statementTransaction>[1]>[0]): Promise<number> => {
    const [row] = await executeSelect<{ id: number }>(tx, 'SELECT CONNECTION_ID() AS id', []);
    return Number(row?.id);
  };
  let killed = 0;
  await expect(
    statementTransaction(sequelize, async (tx) => {
      killed = await threadOf(tx);
      await executeWrite(tx, 'INSERT INTO tx_probe (name) VALUES (?)', ['killed']);
      // Another connection of the pool ends this one, as an operator's KILL or a server restart would.
      await sequelize.query(`KILL ${killed}`);
      await executeWrite(tx, 'INSERT INTO tx_probe (name) VALUES (?)', ['after-kill']);
    }),
  ).rejects.toThrow();
  expect(await rowsNamed('killed')).toBe(0);
  expect(pool().using).toBe(0);
  const threads = new Set<number>();
  for (let i = 0; i < 4; i++) {
    await statementTransaction(sequelize, async (tx) => {
      threads.add(await threadOf(tx));
      await executeWrite(tx, 'INSERT INTO tx_probe (name) VALUES (?)', ['after']);
    });
  }
  expect(threads.has(killed)).toBe(false);
  expect(await rowsNamed('after')).toBe(4);
});
