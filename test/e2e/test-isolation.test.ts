import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { QueryTypes } from 'sequelize';
import { createSequelize } from '../../src/core/db/mysql';
import { testConfig } from '../helpers/app';
import { ROOT } from '../helpers/process';
import { rawRedis } from '../helpers/redis';

// A nested jest run of one test file takes a while on a loaded machine: the bound is against hanging only.
jest.setTimeout(180_000);

/**
 * A developer's exported TANDEM_* variables (a port that is taken, their own
 * database, their Redis prefix) change nothing in what the suite does and
 * touch none of their data: a real jest run of a test file that records an
 * event proves it.
 */
const guarded = `tandem_guard_${randomBytes(4).toString('hex')}`;
const guardedPrefix = `tandem-guard-${randomBytes(4).toString('hex')}:`;
const admin = createSequelize(testConfig());
const redis = rawRedis();
let taken: net.Server;

beforeAll(async () => {
  await admin.query(`CREATE DATABASE \`${guarded}\``);
  await admin.query(`CREATE TABLE \`${guarded}\`.marker (id INT PRIMARY KEY)`);
  await admin.query(`INSERT INTO \`${guarded}\`.marker VALUES (1)`);
  taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await admin.query(`DROP DATABASE IF EXISTS \`${guarded}\``);
  await admin.close();
  redis.disconnect();
  await new Promise((resolve) => taken.close(resolve));
});

function jestRun(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  // This worker's own jest variables would make the nested run think it is a worker too.
  const { JEST_WORKER_ID: _worker, ...parent } = process.env;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['node_modules/jest/bin/jest.js', '--ci', '--runInBand', 'test/integration/cs-smoke.test.ts'],
      { cwd: ROOT, env: { ...parent, ...env }, timeout: 150_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('the test suite under a developer exported environment', () => {
  it('when TANDEM_HTTP_PORT, TANDEM_MYSQL_DATABASE and TANDEM_REDIS_KEY_PREFIX are exported, then it passes, says it ignores them, and touches none of their data', async () => {
    const port = (taken.address() as AddressInfo).port;
    const run = await jestRun({
      TANDEM_HTTP_PORT: String(port),
      TANDEM_THRIFT_PORT: String(port),
      TANDEM_MYSQL_DATABASE: guarded,
      TANDEM_REDIS_KEY_PREFIX: guardedPrefix,
    });

    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stderr).toContain(
      'The test suite ignores the exported TANDEM_HTTP_PORT, TANDEM_MYSQL_DATABASE, TANDEM_REDIS_KEY_PREFIX, TANDEM_THRIFT_PORT:',
    );
    const tables = await admin.query<{ name: string }>(
      'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ?',
      { replacements: [guarded], type: QueryTypes.SELECT },
    );
    expect(tables.map((t) => t.name)).toEqual(['marker']);
    const rows = await admin.query<{ n: number }>(`SELECT COUNT(*) AS n FROM \`${guarded}\`.marker`, {
      type: QueryTypes.SELECT,
    });
    expect(Number(rows[0]?.n)).toBe(1);
    expect(await redis.keys(`${guardedPrefix}*`)).toEqual([]);
  });

  it('when a test asks for a database that is not the suite own, then it is refused before any connection', () => {
    expect(() => testConfig({ mysql: { database: 'tandem' } })).toThrow(
      'A test asked for the database tandem (testConfig); tests only use databases of their own',
    );
  });
});
