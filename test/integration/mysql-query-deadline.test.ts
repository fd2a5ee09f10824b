import type { Sequelize } from 'sequelize';
import { isStatementTimeout } from '../../src/core/db/errors';
import { createSequelize } from '../../src/core/db/mysql';
import { testConfig } from '../helpers/app';
import { captureLogs, type LogCapture } from '../helpers/log-capture';

/** The deadline of each MySQL query (mysql.query_timeout_ms), against the real MariaDB. */
describe('the MySQL query deadline', () => {
  const QUERY_TIMEOUT_MS = 300;
  let sequelize: Sequelize;
  let logs: LogCapture;

  beforeEach(() => {
    logs = captureLogs();
    // One connection, so that every query here runs on the same one.
    sequelize = createSequelize(
      testConfig({ mysql: { query_timeout_ms: QUERY_TIMEOUT_MS, pool_max: 1, pool_min: 0 } }),
    );
  });
  afterEach(() => sequelize.close());

  const connectionId = async (): Promise<number> => {
    const [rows] = await sequelize.query('SELECT CONNECTION_ID() AS id');
    return (rows as { id: number }[])[0]?.id as number;
  };

  it('when the driver refuses a query before sending it, then its deadline is dropped and the connection kept', async () => {
    const before = await connectionId();
    // mysql2 throws at once for a function among the bind values: nothing was sent, nothing to wait for.
    const refused = await sequelize.query('SELECT $1 AS x', { bind: [() => 1] as never }).catch((e: unknown) => e);
    expect(String(refused)).toMatch(/Bind parameters must not contain function/);
    await new Promise((resolve) => setTimeout(resolve, QUERY_TIMEOUT_MS * 2));
    // A deadline left running would have destroyed the connection, which the pool then replaces.
    expect(await connectionId()).toBe(before);
    expect(logs.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('when no answer comes within the deadline, then it fails with the timeout and the connection is replaced', async () => {
    const before = await connectionId();
    // The statement lifts the server's own limit for itself: the server stays silent past our deadline,
    // as a frozen one would.
    const late = await sequelize
      .query(`SET STATEMENT max_statement_time = 0 FOR SELECT SLEEP(${(QUERY_TIMEOUT_MS * 3) / 1000}) AS s`)
      .catch((e: unknown) => e);
    expect(String(late)).toMatch(/Query inactivity timeout: no answer within 300 ms/);
    expect(await connectionId()).not.toBe(before);
  });

  it('when a query runs past the deadline on a server that answers, then the server ends it first and the connection is kept', async () => {
    const before = await connectionId();
    const [[limit]] = (await sequelize.query('SELECT @@max_statement_time AS s')) as [
      { s: number | string }[],
      unknown,
    ];
    // A little under the deadline (statementLimitMs): 300 - 60 ms.
    expect(Number(limit?.s)).toBeCloseTo(0.24, 3);
    const late = await sequelize.query(`SELECT SLEEP(${(QUERY_TIMEOUT_MS * 3) / 1000}) AS s`).catch((e: unknown) => e);
    expect(isStatementTimeout(late)).toBe(true);
    expect(String(late)).toMatch(/max_statement_time exceeded/);
    expect(await connectionId()).toBe(before);
    expect(logs.lines.filter((l) => /mysql is/.test(String(l.message)))).toEqual([]);
  });
});
