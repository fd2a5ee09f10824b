import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { RunningApp } from '../../src/core/app/app';
import { createStaffDomain, type StaffService } from '../../src/service/staff';
import { ACCESS } from '../../src/domains';
import { baseUrl, startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { call, type LoggedIn } from '../helpers/staff';
import { waitFor } from '../helpers/wait';

/**
 * Sessions over HTTP against the real Redis and MariaDB: login, /me, logout,
 * expiry, and disabling an account. Token expiry is driven by shortening the
 * session key's TTL in Redis (PEXPIRE): auth.session_ttl_seconds is at
 * least 60 seconds, too long to wait for.
 */

const TTL_SECONDS = 600;

let app: RunningApp;
let db: { database: string; drop: () => Promise<void> };
let staff: StaffService;
let counter = 0;

beforeAll(async () => {
  db = await freshDatabase();
  app = await startTestApp({
    mysql: { database: db.database },
    redis: { key_prefix: freshRedisPrefix() },
    // The timing test makes many failed logins from one address.
    auth: { session_ttl_seconds: TTL_SECONDS, login_max_failures_per_address: 1000, login_max_failures_per_user: 1000 },
  });
  staff = createStaffDomain(app.resources.sequelize, app.resources.redis, app.resources.config.auth, ACCESS).staff;
});

afterAll(async () => {
  await app.stop();
  await db.drop();
});

/** A new account with a known password. */
async function newAccount(roles: string[] = ['cs_agent']): Promise<{ id: number; username: string; password: string }> {
  counter += 1;
  const username = `sess-${counter}-${Date.now()}`;
  const password = `correct horse ${counter}`;
  const profile = await staff.upsert({ username, password, roles });
  return { id: profile.id, username, password };
}

async function login(
  username: string,
  password: string,
): Promise<{ status: number; body: { code: number; data: { token: string; expires_in: number } } }> {
  const res = await fetch(`${baseUrl(app)}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  return { status: res.status, body: (await res.json()) as never };
}

function bearer(token: string): LoggedIn {
  return { id: 0, token, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } };
}

/** The Redis key of a session, as the app (with its key prefix) names it. */
function sessionKey(token: string): string {
  return `session:${createHash('sha256').update(token).digest('base64url')}`;
}

describe('login, me and logout', () => {
  it('when a staff member logs in with the right password, then they get a bearer token that expires after auth.session_ttl_seconds', async () => {
    const account = await newAccount(['cs_agent', 'risk_reviewer']);

    const res = await login(account.username, account.password);

    expect(res.status).toBe(200);
    expect(res.body.code).toBe(0);
    expect(res.body.data.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(res.body.data.expires_in).toBe(TTL_SECONDS);
    expect(res.body.data).toMatchObject({
      staff: { id: account.id, username: account.username, roles: ['cs_agent', 'risk_reviewer'], disabled: false },
    });
    expect(res.body.data).not.toHaveProperty('staff.password_hash');
    const ttl = await app.resources.redis.ttl(sessionKey(res.body.data.token));
    expect(ttl).toBeGreaterThan(TTL_SECONDS - 30);
    expect(ttl).toBeLessThanOrEqual(TTL_SECONDS);
  });

  it('when the token is sent to GET /api/auth/me, then it names the staff member', async () => {
    const account = await newAccount();
    const { token } = (await login(account.username, account.password)).body.data;

    const me = await call(app, 'GET', '/api/auth/me', bearer(token));

    expect(me.status).toBe(200);
    expect(me.body.data).toEqual({
      id: account.id,
      username: account.username,
      display_name: account.username,
      roles: ['cs_agent'],
      disabled: false,
    });
  });

  it('when the password is wrong, then 401 with code 902 and no token', async () => {
    const account = await newAccount();

    const res = await login(account.username, `${account.password}x`);

    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 902, data: null });
  });

  it('when a staff member logs out, then that token gets 401 and their other session goes on', async () => {
    const account = await newAccount();
    const first = (await login(account.username, account.password)).body.data.token;
    const second = (await login(account.username, account.password)).body.data.token;

    const out = await call(app, 'POST', '/api/auth/logout', bearer(first));

    expect(out.status).toBe(200);
    const after = await call(app, 'GET', '/api/auth/me', bearer(first));
    expect(after.status).toBe(401);
    expect(after.body.code).toBe(901);
    expect(await app.resources.redis.exists(sessionKey(first))).toBe(0);
    expect((await call(app, 'GET', '/api/auth/me', bearer(second))).status).toBe(200);
  });

  it('when a session key expires in Redis, then its token gets 401 with code 901', async () => {
    const account = await newAccount();
    const { token } = (await login(account.username, account.password)).body.data;
    expect((await call(app, 'GET', '/api/auth/me', bearer(token))).status).toBe(200);

    await app.resources.redis.pexpire(sessionKey(token), 50);

    const expired = await waitFor(
      async () => {
        const res = await call(app, 'GET', '/api/auth/me', bearer(token));
        return res.status === 200 ? undefined : res;
      },
      5000,
      'the session expiring',
    );
    expect(expired.status).toBe(401);
    expect(expired.body.code).toBe(901);
  });
});

describe('disabling a staff member', () => {
  it('when an account is disabled, then its live sessions get 401 at once and its password no longer logs in', async () => {
    const account = await newAccount();
    const first = (await login(account.username, account.password)).body.data.token;
    const second = (await login(account.username, account.password)).body.data.token;

    await staff.setDisabled(account.id, true);

    for (const token of [first, second]) {
      const res = await call(app, 'GET', '/api/cs/events', bearer(token));
      expect(res.status).toBe(401);
      expect(res.body.code).toBe(901);
    }
    const again = await login(account.username, account.password);
    expect(again.status).toBe(403);
    expect(again.body.code).toBe(904);
  });

  it('when an account is disabled while it is logging in, then whatever the interleaving no live session is left', async () => {
    // The disable lands before, during (while the password is checked) or after the login.
    for (const delayMs of [0, 5, 10, 20, 30, 45, 60, 90]) {
      const account = await newAccount();
      const loggingIn = login(account.username, account.password);
      await new Promise((resolve) => setTimeout(resolve, delayMs));

      await staff.setDisabled(account.id, true);

      const res = await loggingIn;
      if (res.status === 200) {
        // Not /me, which reads the account itself: a route that trusts the session alone.
        const read = await call(app, 'GET', '/api/cs/stats', bearer(res.body.data.token));
        expect({ delayMs, status: read.status }).toEqual({ delayMs, status: 401 });
      } else {
        expect({ delayMs, code: res.body.code }).toEqual({ delayMs, code: 904 });
      }
    }
  });

  it('when a disabled account is enabled again, then it logs in again', async () => {
    const account = await newAccount();
    await staff.setDisabled(account.id, true);

    await staff.setDisabled(account.id, false);

    expect((await login(account.username, account.password)).status).toBe(200);
  });

  it('when Redis fails while the account is disabled, then the disable reports it and the session still ends at its next recheck', async () => {
    const account = await newAccount();
    const { token } = (await login(account.username, account.password)).body.data;
    // A Redis client that cannot connect: the database write succeeds, revoking the sessions fails.
    const unreachable = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    unreachable.on('error', () => undefined);
    const cut = createStaffDomain(app.resources.sequelize, unreachable, app.resources.config.auth, ACCESS).staff;

    await expect(cut.setDisabled(account.id, true)).rejects.toMatchObject({ kind: 'ServerError', code: 300 });

    unreachable.disconnect();
    // The session was not revoked: it lives until a recheck against the database.
    expect(await app.resources.redis.exists(sessionKey(token))).toBe(1);
    const rechecking = createStaffDomain(
      app.resources.sequelize,
      app.resources.redis,
      app.resources.config.auth,
      ACCESS,
      {
        sessionRecheckSeconds: 0,
      },
    );
    expect(await rechecking.sessions.get(token)).toBeUndefined();
    await rechecking.sessions.close();
    expect(await app.resources.redis.exists(sessionKey(token))).toBe(0);
    expect((await call(app, 'GET', '/api/auth/me', bearer(token))).status).toBe(401);
  });

  it('when a session is kept in the process cache, then it still takes new roles at its next recheck, not when the cache entry ends', async () => {
    const account = await newAccount(['cs_agent']);
    const { token } = (await login(account.username, account.password)).body.data;
    const caching = createStaffDomain(
      app.resources.sequelize,
      app.resources.redis,
      { ...app.resources.config.auth, session_cache_ms: 60_000 },
      ACCESS,
      { sessionRecheckSeconds: 1 },
    );
    try {
      expect((await caching.sessions.get(token))?.roles).toEqual(['cs_agent']);
      await staff.upsert({ username: account.username, password: account.password, roles: ['risk_reviewer'] });

      // Read again and again, so that the session is served from memory whenever it may be.
      const roles = await waitFor(
        async () => {
          const session = await caching.sessions.get(token);
          return session?.roles[0] === 'risk_reviewer' ? session.roles : undefined;
        },
        5000,
        'the new roles (the recheck is due after 1 s; the cache entry would last 60 s)',
      );
      expect(roles).toEqual(['risk_reviewer']);
    } finally {
      await caching.sessions.close();
    }
  });

  it("when a staff member's roles change, then a live session takes the new roles at its next recheck", async () => {
    const account = await newAccount(['cs_agent']);
    const { token } = (await login(account.username, account.password)).body.data;
    await staff.upsert({ username: account.username, password: account.password, roles: ['risk_reviewer'] });
    const rechecking = createStaffDomain(
      app.resources.sequelize,
      app.resources.redis,
      app.resources.config.auth,
      ACCESS,
      {
        sessionRecheckSeconds: 0,
      },
    );

    const session = await rechecking.sessions.get(token);
    await rechecking.sessions.close();

    expect(session?.roles).toEqual(['risk_reviewer']);
    const create = await call(app, 'POST', '/api/cs/events', bearer(token), {
      user_type: 'user',
      source: 'phone',
      content: 'x',
    });
    expect(create.status).toBe(403);
    expect(create.body.code).toBe(950);
  });
});

describe('login timing', () => {
  async function timedMs(attempt: () => Promise<{ status: number }>): Promise<number> {
    const start = process.hrtime.bigint();
    const res = await attempt();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    expect(res.status).toBe(401);
    return ms;
  }

  function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] as number;
  }

  it('when a login names an unknown user or gives a wrong password, then both take about as long (medians within a factor of 10)', async () => {
    const N = 9;
    const accounts = [];
    for (let i = 0; i < N; i += 1) accounts.push(await newAccount());
    // Warm up both paths once (JIT, connection pool).
    await login(`nobody-warmup-${Date.now()}`, 'wrong-password');
    await login(accounts[0]?.username ?? '', 'wrong-password');

    // Interleaved, so that a change in the machine's load touches both kinds alike.
    const unknownUser: number[] = [];
    const wrongPassword: number[] = [];
    for (const [i, account] of accounts.entries()) {
      unknownUser.push(await timedMs(() => login(`nobody-${i}-${Date.now()}`, 'wrong-password')));
      wrongPassword.push(await timedMs(() => login(account.username, 'wrong-password')));
    }

    const [a, b] = [median(unknownUser), median(wrongPassword)];
    const ratio = Math.max(a, b) / Math.min(a, b);
    expect(ratio).toBeLessThan(10);
  });
});
