import { randomBytes } from 'node:crypto';
import { testConfig } from '../helpers/app';
import { runCommand } from '../helpers/command';
import { dropDatabase } from '../../src/core/db/database';
import { migrations } from '../../src/model/migrations';

/**
 * `npm run migrate`, as `make develop` runs it in a terminal: one human line
 * per migration, no JSON log lines, against a database it creates itself.
 */

const database = `tandem_t_${randomBytes(5).toString('hex')}`;
// Every query counts as slow (0 ms): a DDL over log.slow_query_ms once printed a JSON 'slow query' line here.
const env = { TANDEM_MYSQL_DATABASE: database, TANDEM_LOG_SLOW_QUERY_MS: '0' };

afterAll(async () => {
  await dropDatabase(testConfig(), database);
});

describe('npm run migrate', () => {
  it('when a new database is migrated up, then each migration is one "applied NAME in N ms" line and nothing is JSON', async () => {
    const run = await runCommand('npm', ['run', '--silent', 'migrate', '--', 'up'], env);
    const lines = run.stdout.trimEnd().split('\n');

    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(lines).toHaveLength(migrations.length + 1);
    migrations.forEach((m, i) => expect(lines[i]).toMatch(new RegExp(`^applied ${m.name} in \\d+ ms$`)));
    expect(lines.at(-1)).toBe(`The database ${database} is migrated.`);
    expect(run.stdout).not.toMatch(/^\{/m);
  });

  it('when run again, then it says the database is up to date, one line', async () => {
    const run = await runCommand('npm', ['run', '--silent', 'migrate', '--', 'up'], env);

    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`The database ${database} is up to date.\n`);
  });

  it('when the last migration is reverted, then one "reverted NAME" line', async () => {
    const run = await runCommand('npm', ['run', '--silent', 'migrate', '--', 'down'], env);
    const last = migrations.at(-1)?.name ?? '';

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^reverted ${last} in \\d+ ms\\n$`));
  });
});
