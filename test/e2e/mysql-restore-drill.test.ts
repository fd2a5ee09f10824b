import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueryTypes, type Sequelize } from 'sequelize';
import type { RunningApp } from '../../src/core/app/app';
import { dropDatabase } from '../../src/core/db/database';
import { createSequelize } from '../../src/core/db/mysql';
import { startTestApp, testConfig } from '../helpers/app';
import { runCommand } from '../helpers/command';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { call, loginAs } from '../helpers/staff';

jest.setTimeout(120_000);

/**
 * The restore drill of docs/operations.md, run as written on a small
 * database: events recorded through the app, scripts/backup-mysql.sh, then
 * scripts/restore-mysql.sh into a new database; every table comes back with
 * the same rows (count and checksum).
 */
const CLIENT = ['--', '-h', '127.0.0.1', '-P', '3306', '-u', 'root'];
let source: { database: string; drop: () => Promise<void> };
const restored = `tandem_t_${randomBytes(5).toString('hex')}`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-backup-'));
const file = path.join(dir, 'tandem.sql.gz');
let app: RunningApp;
let admin: Sequelize;

beforeAll(async () => {
  source = await freshDatabase();
  app = await startTestApp({ mysql: { database: source.database }, redis: { key_prefix: freshRedisPrefix() } });
  admin = createSequelize(testConfig());
});

afterAll(async () => {
  await app.stop();
  await admin.close();
  await source.drop();
  await dropDatabase(testConfig(), restored);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Each table of a database with its row count and checksum. */
async function contents(database: string): Promise<Record<string, { rows: number; checksum: string }>> {
  const tables = await admin.query<{ name: string }>(
    'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? ORDER BY table_name',
    { replacements: [database], type: QueryTypes.SELECT },
  );
  const out: Record<string, { rows: number; checksum: string }> = {};
  for (const { name } of tables) {
    const [count] = await admin.query<{ n: number }>(`SELECT COUNT(*) AS n FROM \`${database}\`.\`${name}\``, {
      type: QueryTypes.SELECT,
    });
    const [sum] = await admin.query<{ Checksum: string | number | null }>(
      `CHECKSUM TABLE \`${database}\`.\`${name}\``,
      { type: QueryTypes.SELECT },
    );
    out[name] = { rows: Number(count?.n), checksum: String(sum?.Checksum) };
  }
  return out;
}

describe('the MySQL restore drill', () => {
  it('when a database with events is backed up and restored into a new one, then every table has the same rows', async () => {
    const agent = await loginAs(app, ['cs_agent']);
    for (let i = 0; i < 12; i += 1) {
      const created = await call<{ id: number }>(app, 'POST', '/api/cs/events', agent, {
        user_type: 'user',
        source: 'phone',
        content: `drill event ${i} with 'quotes', "double quotes", a back\\slash and ünïcödé`,
      });
      expect(created.status).toBe(201);
      if (i % 3 === 0) {
        const moved = await call(app, 'POST', `/api/cs/events/${created.body.data.id}/transition`, agent, {
          to: 'done',
          note: 'refunded',
        });
        expect(moved.status).toBe(200);
      }
    }

    const backup = await runCommand('bash', ['scripts/backup-mysql.sh', source.database, file, ...CLIENT], {});
    const restore = await runCommand('bash', ['scripts/restore-mysql.sh', file, restored, ...CLIENT], {});
    const again = await runCommand('bash', ['scripts/restore-mysql.sh', file, restored, ...CLIENT], {});

    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/^Backed up the database \S+ to \S+ \(\d+ bytes\)\.\n$/);
    expect(restore.code).toBe(0);
    expect(restore.stdout).toMatch(new RegExp(`Restored \\S+ into the database ${restored} \\(\\d+ tables\\)\\.`));
    const before = await contents(source.database);
    const after = await contents(restored);
    const summary = Object.entries(before)
      .map(([table, { rows }]) => `${table} ${rows}`)
      .join(', ');
    process.stdout.write(`restore drill: ${Object.keys(before).length} tables restored equal (${summary})\n`);
    expect(before.cs_event?.rows).toBe(12);
    expect(after).toEqual(before);
    // A restore never writes over a database that has tables.
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`The database ${restored} already has`);
  });
});
