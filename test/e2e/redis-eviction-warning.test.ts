import { Redis } from 'ioredis';
import { freshRedisPrefix } from '../helpers/db';
import { spawnServer, type ServerProcess } from '../helpers/process';
import { startRedisServer, type RedisServer } from '../helpers/servers';
import { within } from '../helpers/wait';

// Child processes start slowly on a loaded machine: the waits are bounds against hanging, not speed assertions.
jest.setTimeout(90_000);

/** A Redis of this file's own: its maxmemory-policy is changed, which the shared one must never be. */
let server: RedisServer;
let admin: Redis;
const spawned: ServerProcess[] = [];

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
});

afterAll(async () => {
  for (const p of spawned) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  admin.disconnect();
  await server.kill();
});

const WARNING = /^Redis's maxmemory-policy is (\S+), which evicts keys/;

async function startAndStop(): Promise<ServerProcess> {
  const started = spawnServer('src/main.ts', {
    TANDEM_REDIS_URL: server.url,
    TANDEM_REDIS_KEY_PREFIX: freshRedisPrefix(),
  });
  spawned.push(started);
  await started.serving();
  started.child.kill('SIGTERM');
  expect(await within(started.exited, 30000, 'the server exiting')).toEqual({ code: 0, signal: null });
  return started;
}

describe('a start against a Redis that evicts keys', () => {
  it('when maxmemory-policy is allkeys-lru, then the server logs one warning naming the setting', async () => {
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');

    const started = await startAndStop();

    const warnings = started.logs.filter((l) => WARNING.test(String(l.message)));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ level: 'warn', maxmemory_policy: 'allkeys-lru' });
  });

  it('when maxmemory-policy is noeviction, then nothing is said about it', async () => {
    await admin.config('SET', 'maxmemory-policy', 'noeviction');

    const started = await startAndStop();

    expect(started.logs.filter((l) => WARNING.test(String(l.message)))).toEqual([]);
  });
});
