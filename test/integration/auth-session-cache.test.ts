import type { RunningApp } from '../../src/core/app/app';
import type { ConfigInput } from '../../src/core/config';
import { sessionKeyOfToken as sessionKey } from '../../src/core/auth/sessions';
import { createStaffDomain } from '../../src/service/staff';
import { ACCESS } from '../../src/domains';
import { startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { call, type LoggedIn, loginAs } from '../helpers/staff';
import { waitFor } from '../helpers/wait';

/**
 * The in-process session cache (auth.session_cache_ms) against the real
 * Redis and MariaDB, with two app instances sharing one Redis as two servers
 * would: a session used once is served from memory, and every revocation,
 * made by either instance, reaches the other at once over Redis pub/sub.
 *
 * The cache is seen by deleting a session key by hand, which bypasses
 * tandem (no message): a cached session still answers until the cache
 * entry ends. The cache lives long here (60 s), so that only an
 * invalidation can explain a 401 within a test.
 */

const CACHE_MS = 60_000;
const SERVICE = `tandem-cache-test-${process.pid}`;

const PREFIX = freshRedisPrefix();

let db: { database: string; drop: () => Promise<void> };
let a: RunningApp;
let b: RunningApp;

beforeAll(async () => {
  db = await freshDatabase();
  const overrides: ConfigInput = {
    service_name: SERVICE,
    mysql: { database: db.database },
    redis: { key_prefix: PREFIX },
    auth: { session_cache_ms: CACHE_MS },
  };
  a = await startTestApp(overrides);
  b = await startTestApp(overrides);
});

afterAll(async () => {
  await Promise.all([a.stop(), b.stop()]);
  await db.drop();
});

/** A route that trusts the session alone (GET /api/auth/me reads the account too). */
async function readStats(app: RunningApp, who: LoggedIn): Promise<number> {
  return (await call(app, 'GET', '/api/cs/stats', who)).status;
}

/** Reads until the instance answers from memory (its subscription may still be starting). */
async function cachedIn(app: RunningApp, who: LoggedIn): Promise<void> {
  await waitFor(
    async () => {
      expect(await readStats(app, who)).toBe(200);
      // Served once more from Redis, then from memory: deleting the key by hand shows which.
      const raw = await app.resources.redis.get(sessionKey(who.token));
      await app.resources.redis.del(sessionKey(who.token));
      const status = await readStats(app, who);
      if (raw !== null) await app.resources.redis.set(sessionKey(who.token), raw, 'EX', 600);
      return status === 200 ? true : undefined;
    },
    5000,
    'the session being served from memory',
  );
}

/** Caches the session in `app`, then deletes its Redis key: from here on only `app`'s memory serves it. */
async function inMemoryOnly(app: RunningApp, who: LoggedIn): Promise<void> {
  await cachedIn(app, who);
  await app.resources.redis.del(sessionKey(who.token));
  expect(await readStats(app, who)).toBe(200);
}

it('when a session was used, then the next requests are served without its Redis key until the cache entry ends', async () => {
  const who = await loginAs(a, ['cs_agent']);

  await inMemoryOnly(a, who);

  // The other instance never cached it: it reads Redis, where the session is gone.
  expect(await readStats(b, who)).toBe(401);
});

it('when a staff member logs out on one instance, then the session cached on the other gets 401 at once', async () => {
  const who = await loginAs(a, ['cs_agent']);
  await cachedIn(b, who);

  const out = await call(a, 'POST', '/api/auth/logout', who);

  expect(out.status).toBe(200);
  expect(await readStats(b, who)).toBe(401);
  expect(await readStats(a, who)).toBe(401);
});

it('when an account is disabled through one instance, then every session of it cached on the other gets 401 at once', async () => {
  const admin = await loginAs(a, ['admin']);
  const who = await loginAs(a, ['cs_agent']);
  await cachedIn(b, who);
  await cachedIn(a, who);

  const { staff } = createStaffDomain(a.resources.sequelize, a.resources.redis, a.resources.config.auth, ACCESS);
  await staff.setDisabled(who.id, true);

  expect(await readStats(b, who)).toBe(401);
  expect(await readStats(a, who)).toBe(401);
  expect(await readStats(b, admin)).toBe(200);
});

it('when a message on the revocation channel cannot be read, then everything cached is forgotten (it may have been a revocation)', async () => {
  const who = await loginAs(a, ['cs_agent']);
  await inMemoryOnly(b, who);

  // ioredis prefixes keys, not channels: the channel carries the key prefix itself.
  await a.resources.redis.publish(`${PREFIX}session-revoked`, 'x:not-a-revocation');

  expect(await readStats(b, who)).toBe(401);
});

it('when the invalidation connection drops, then nothing is served from memory until it is subscribed again', async () => {
  const who = await loginAs(a, ['cs_agent']);
  await inMemoryOnly(b, who);

  // Kill b's subscriber connection (and a's: both carry the service's name) on the Redis side.
  const clients = String(await a.resources.redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
  const ids = clients
    .split('\n')
    .filter((line) => line.includes(` name=${SERVICE}:main:sessions `))
    .map((line) => /^id=(\d+)/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined);
  expect(ids.length).toBeGreaterThanOrEqual(2);
  for (const id of ids) await a.resources.redis.call('CLIENT', 'KILL', 'ID', id);

  // Messages sent while it was down are lost, so what was cached is forgotten.
  const gone = await waitFor(
    async () => ((await readStats(b, who)) === 401 ? true : undefined),
    5000,
    'the cached session being forgotten',
  );
  expect(gone).toBe(true);

  // Once subscribed again, sessions are cached (and revocations heard) again.
  const next = await loginAs(a, ['cs_agent']);
  await cachedIn(b, next);
  await call(a, 'POST', '/api/auth/logout', next);
  expect(await readStats(b, next)).toBe(401);
});
