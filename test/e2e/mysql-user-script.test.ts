import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Sequelize } from 'sequelize';
import { dropDatabase } from '../../src/core/db/database';
import { migrator } from '../../src/core/db/migrate';
import { createSequelize } from '../../src/core/db/mysql';
import { migrations } from '../../src/model/migrations';
import { testConfig } from '../helpers/app';
import { ROOT } from '../helpers/process';

jest.setTimeout(60_000);

/** scripts/create-mysql-user.sh as docs/operations.md runs it, on a user and database of this file's own. */
const id = randomBytes(4).toString('hex');
const user = `tandem_t_u${id}`;
const database = `tandem_t_${id}`;
const password = `pw-${randomBytes(12).toString('hex')}`;
const admin = createSequelize(testConfig());
let asUser: Sequelize | undefined;

afterAll(async () => {
  await asUser?.close();
  await admin.query(`DROP USER IF EXISTS '${user}'@'127.0.0.1'`);
  await admin.close();
  await dropDatabase(testConfig(), database);
});

function createUser(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      'bash',
      [
        'scripts/create-mysql-user.sh',
        '--user',
        user,
        '--database',
        database,
        '--from',
        '127.0.0.1',
        '--',
        '-h',
        '127.0.0.1',
        '-u',
        'root',
      ],
      { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.stdin.end(`${password}\n`);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('scripts/create-mysql-user.sh', () => {
  it('when run, then its user can migrate and use its database and nothing else', async () => {
    const result = await createUser();
    expect(result).toEqual({
      code: 0,
      stdout: `MariaDB user '${user}'@'127.0.0.1' may now use the database ${database}, and nothing else.\n`,
      stderr: '',
    });

    asUser = createSequelize(testConfig({ mysql: { user, password, database } }));
    await migrator(asUser, migrations).up();
    await asUser.query('CREATE TABLE drill (id INT PRIMARY KEY)');
    await asUser.query('INSERT INTO drill VALUES (1), (2)');
    await asUser.query('DELETE FROM drill WHERE id = 1');

    await expect(asUser.query('SELECT COUNT(*) FROM mysql.user')).rejects.toThrow(/denied/);
    await expect(asUser.query('CREATE DATABASE tandem_t_not_mine')).rejects.toThrow(/denied/);
  });
});
