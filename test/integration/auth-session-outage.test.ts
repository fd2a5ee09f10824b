import type { RunningApp } from '../../src/core/app/app';
import { startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { type RedisServer, startRedisServer } from '../helpers/servers';
import { call, type LoggedIn, loginAs } from '../helpers/staff';
import { waitFor } from '../helpers/wait';

/**
 * Sessions through a Redis outage (auth.session_outage_grace_ms), against a
 * redis-server of this file's own that is stopped and frozen: a session read
 * within the grace keeps working; a new login, a logout and an unknown
 * session answer 503 with the Redis code and Retry-After; nothing is logged
 * per request.
 */

const COMMAND_TIMEOUT_MS = 300;
/** The frozen-Redis deadline: the command timeout, plus scheduling slack on a shared machine. */
const DEADLINE_MS = COMMAND_TIMEOUT_MS + 700;

let redisServer: RedisServer;
let db: { database: string; drop: () => Promise<void> };
let app: RunningApp;
let seen: LoggedIn;
let logs: LogCapture;

beforeAll(async () => {
  redisServer = await startRedisServer();
  db = await freshDatabase();
  app = await startTestApp({
    mysql: { database: db.database },
    redis: { url: redisServer.url, key_prefix: freshRedisPrefix(), command_timeout_ms: COMMAND_TIMEOUT_MS },
    auth: { session_cache_ms: 1000, session_outage_grace_ms: 60_000 },
  });
  logs = captureLogs();
}, 60000);

afterAll(async () => {
  redisServer.thaw();
  await app?.stop();
  await redisServer?.kill();
  await db?.drop();
}, 30000);

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
}

async function redisReady(): Promise<void> {
  await waitFor(() => (app.resources.redis.status === 'ready' ? true : undefined), 10000, 'the app reconnecting');
}

describe('sessions through a Redis outage', () => {
  it('when Redis is stopped, then a session seen within the grace still reads, and login, logout and unseen sessions answer 503 code 300', async () => {
    seen = await loginAs(app, ['cs_agent']);
    const unseen = await loginAs(app, ['cs_agent']);
    expect((await call(app, 'GET', '/api/cs/stats', seen)).status).toBe(200);

    await redisServer.kill();
    // Past the normal cache time: the session must now come from the outage fallback.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const reads = await Promise.all(Array.from({ length: 20 }, () => call(app, 'GET', '/api/cs/stats', seen)));
    const unseenRead = await call(app, 'GET', '/api/cs/stats', unseen);
    const logout = await call(app, 'POST', '/api/auth/logout', seen);
    const login = await fetch(`http://127.0.0.1:${app.http.port}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'nobody-in-particular', password: 'whatever-it-is' }),
    });

    expect(reads.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 200));
    expect(unseenRead.status).toBe(503);
    expect(unseenRead.body.code).toBe(300);
    expect(unseenRead.headers.get('retry-after')).toBe('1');
    expect(logout.status).toBe(503);
    expect(logout.body.code).toBe(300);
    expect(login.status).toBe(503);
    expect(((await login.json()) as { code: number }).code).toBe(300);
    expect(logs.lines.filter((l) => l.message === 'request failed')).toEqual([]);
    expect(logs.lines.filter((l) => l.dependency === 'redis' && l.level === 'error')).toHaveLength(1);
  });

  it('when Redis is back, then the outage ends in one line, and the logout made during it was refused (the session still works)', async () => {
    await redisServer.restart();
    await redisReady();
    await logs.find((l) => l.message === 'redis is back');
    // The restarted Redis is empty: the session is gone from it, so it ends now.
    const after = await call(app, 'GET', '/api/cs/stats', seen);
    expect(after.status).toBe(401);
    seen = await loginAs(app, ['cs_agent']);
    expect((await call(app, 'GET', '/api/cs/stats', seen)).status).toBe(200);
  });

  it('when Redis is frozen (SIGSTOP), then no request waits past the command timeout, and a seen session keeps reading', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    redisServer.freeze();
    try {
      const first = await timed(() => call(app, 'GET', '/api/cs/stats', seen));
      const rest = await Promise.all(
        Array.from({ length: 10 }, () => timed(() => call(app, 'GET', '/api/cs/stats', seen))),
      );
      const statuses = [first, ...rest].map((r) => r.value.status);
      const longest = Math.max(first.ms, ...rest.map((r) => r.ms));

      expect(statuses).toEqual(Array.from({ length: 11 }, () => 200));
      expect(longest).toBeLessThan(DEADLINE_MS);
    } finally {
      redisServer.thaw();
    }
    await redisReady();
    expect((await call(app, 'GET', '/api/cs/stats', seen)).status).toBe(200);
  });

  it('when the revocation arrives while Redis is up, then the fallback cannot bring the session back in a later outage', async () => {
    const other = await loginAs(app, ['cs_agent']);
    expect((await call(app, 'GET', '/api/cs/stats', other)).status).toBe(200);
    expect((await call(app, 'POST', '/api/auth/logout', other)).status).toBe(200);
    await redisServer.kill();
    try {
      const res = await call(app, 'GET', '/api/cs/stats', other);
      expect(res.status).toBe(503);
    } finally {
      await redisServer.restart();
      await redisReady();
    }
  });
});
