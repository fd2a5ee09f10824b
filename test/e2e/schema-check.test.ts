import { randomBytes } from 'node:crypto';
import type { RunningApp } from '../../src/core/app/app';
import { dropDatabase, ensureDatabase } from '../../src/core/db/database';
import { migrator } from '../../src/core/db/migrate';
import { createSequelize } from '../../src/core/db/mysql';
import { migrations } from '../../src/model/migrations';
import { baseUrl, startTestApp, testConfig } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { captureLogs } from '../helpers/log-capture';
import { spawnServer, type ServerProcess } from '../helpers/process';
import { within } from '../helpers/wait';

// Child processes start slowly on a loaded machine: the waits are bounds against hanging, not speed assertions.
jest.setTimeout(90_000);

const CODE = migrations.at(-1)?.name as string;
const TWO_BEHIND = migrations.at(-3)?.name as string;
let current: { database: string; drop: () => Promise<void> };
/** A database migrated up to two migrations short of the code's. */
const behind = `tandem_t_${randomBytes(5).toString('hex')}`;
const apps: RunningApp[] = [];
const spawned: ServerProcess[] = [];

beforeAll(async () => {
  captureLogs();
  current = await freshDatabase();
  const config = testConfig({ mysql: { database: behind } });
  await ensureDatabase(config);
  const sequelize = createSequelize(config);
  try {
    await migrator(sequelize, migrations).up({ to: TWO_BEHIND });
  } finally {
    await sequelize.close();
  }
});

afterAll(async () => {
  for (const app of apps) await app.stop();
  for (const p of spawned) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await current.drop();
  await dropDatabase(testConfig(), behind);
});

async function health(app: RunningApp): Promise<{ migrations?: unknown }> {
  const res = await fetch(`${baseUrl(app)}/health`);
  return ((await res.json()) as { data: { migrations?: unknown } }).data;
}

describe('the schema check at start', () => {
  it('when the database has every migration, then a refusing server starts and /health reports the level', async () => {
    const app = await startTestApp({
      mysql: { database: current.database, schema_check: 'refuse' },
      redis: { key_prefix: freshRedisPrefix() },
    });
    apps.push(app);

    expect((await health(app)).migrations).toEqual({ code: CODE, database: CODE, pending: 0 });
  });

  it('when the database is two migrations behind and the check refuses, then the start fails naming both levels', async () => {
    const started = startTestApp({ mysql: { database: behind, schema_check: 'refuse' } });

    await expect(started).rejects.toThrow(
      `The database ${behind} is at migration ${TWO_BEHIND} but the code needs ${CODE} (2 pending); run 'make migrate'`,
    );
  });

  it('when it is behind and the check warns, then it serves, warns once, and /health reports 2 pending', async () => {
    const server = spawnServer('src/main.ts', {
      TANDEM_MYSQL_DATABASE: behind,
      TANDEM_MYSQL_SCHEMA_CHECK: 'warn',
      TANDEM_REDIS_KEY_PREFIX: freshRedisPrefix(),
    });
    spawned.push(server);
    const ports = await server.serving();

    const res = await fetch(`http://127.0.0.1:${ports.http}/health`);
    const body = (await res.json()) as { data: { migrations?: unknown } };
    server.child.kill('SIGTERM');
    await within(server.exited, 30000, 'the process exiting');

    expect(body.data.migrations).toEqual({ code: CODE, database: TWO_BEHIND, pending: 2 });
    const warned = server.logs.filter((l) => String(l.message).startsWith(`The database ${behind} is at migration`));
    expect(warned).toHaveLength(1);
    expect(warned[0]?.level).toBe('warn');
  });

  it('when make server starts on a database behind with schema_check refuse, then it exits 1 with one line and no stack', async () => {
    const server = spawnServer('src/main.ts', {
      TANDEM_MYSQL_DATABASE: behind,
      TANDEM_MYSQL_SCHEMA_CHECK: 'refuse',
      TANDEM_REDIS_KEY_PREFIX: freshRedisPrefix(),
    });
    spawned.push(server);

    const exit = await within(server.exited, 60000, 'the process exiting');

    expect(exit.code).toBe(1);
    expect(server.stderr().trim().split('\n')).toEqual([
      `The database ${behind} is at migration ${TWO_BEHIND} but the code needs ${CODE} (2 pending); run 'make migrate' (npm run migrate -- up) first, or set mysql.schema_check to 'warn' to serve anyway.`,
    ]);
  });
});
