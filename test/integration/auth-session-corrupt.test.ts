import type { RunningApp } from '../../src/core/app/app';
import { sessionKeyOfToken as sessionKey } from '../../src/core/auth/sessions';
import { startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { call, type LoggedIn, loginAs } from '../helpers/staff';

/**
 * A session value in the real Redis that is not a session (not JSON, or not
 * a session's shape) is not a Redis outage: its token answers 401, the key
 * is logged once and deleted, and the outage fallback
 * (auth.session_outage_grace_ms) does not answer with the last known
 * session, nor is "redis is down" logged.
 */

/** Short, so that a test reads the corrupt value from Redis rather than the memory cache. */
const CACHE_MS = 300;
const CORRUPT_LINE = 'a session value in Redis is not a session; it is deleted and its token answers 401';

let db: { database: string; drop: () => Promise<void> };
let app: RunningApp;
let logs: LogCapture;

beforeAll(async () => {
  db = await freshDatabase();
  app = await startTestApp({
    mysql: { database: db.database },
    redis: { key_prefix: freshRedisPrefix() },
    auth: { session_cache_ms: CACHE_MS, session_outage_grace_ms: 60_000 },
  });
  logs = captureLogs();
});

afterAll(async () => {
  await app.stop();
  await db.drop();
});

/** A route that trusts the session alone. */
async function readStats(who: LoggedIn): Promise<{ status: number; code: number }> {
  const res = await call(app, 'GET', '/api/cs/stats', who);
  return { status: res.status, code: (res.body as { code: number }).code };
}

async function corruptedSession(value: string): Promise<{ who: LoggedIn; key: string }> {
  const who = await loginAs(app, ['cs_agent']);
  // Read once: the session is now known to the outage fallback.
  expect((await readStats(who)).status).toBe(200);
  const key = sessionKey(who.token);
  expect(await app.resources.redis.set(key, value, 'KEEPTTL', 'XX')).toBe('OK');
  // Past the memory cache: the next request reads the value from Redis.
  await new Promise((resolve) => setTimeout(resolve, CACHE_MS + 200));
  return { who, key };
}

describe('a corrupt session value in Redis', () => {
  it.each([
    ['not JSON', '{"staff_id": 1, "username": '],
    ['JSON null', 'null'],
    ['JSON of another shape', '{"staff_id":"7","roles":"admin"}'],
  ])(
    'when the value is %s, then its token answers 401 twice, the key is gone, one line is logged and no outage',
    async (_what, value) => {
      const before = logs.lines.length;
      const { who, key } = await corruptedSession(value);

      const first = await readStats(who);
      const second = await readStats(who);

      const lines = logs.lines.slice(before);
      const corrupt = lines.filter((l) => l.message === CORRUPT_LINE);
      const outage = lines.filter((l) => l.dependency === 'redis');
      // Figures: answers, key left, lines written.
      expect({ first: first.status, second: second.status }).toEqual({ first: 401, second: 401 });
      expect(await app.resources.redis.exists(key)).toBe(0);
      expect(corrupt).toHaveLength(1);
      expect(corrupt[0]?.level).toBe('error');
      expect(corrupt[0]?.key).toBe(key);
      // The line names the key (a digest), never the token.
      expect(JSON.stringify(corrupt[0])).not.toContain(who.token);
      expect(outage).toEqual([]);
    },
  );

  it('when one session is corrupt, then another session of the same process still reads (no outage state is entered)', async () => {
    const other = await loginAs(app, ['cs_agent']);
    const { who } = await corruptedSession('not json at all');
    expect((await readStats(who)).status).toBe(401);
    expect((await readStats(other)).status).toBe(200);
  });
});
