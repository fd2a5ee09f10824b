import type { RunningApp } from '../../src/core/app/app';
import { baseUrl, startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { type CommandResult, runCommand } from '../helpers/command';

/**
 * A lock a person can lift, with the operators' own scripts run as child
 * processes on this file's database and Redis prefix: a password reset with
 * create_staff.ts lifts the account's lock and ends its sessions;
 * unlock_login.ts lifts an address's lock (or a username's). The window is
 * an hour, so only a lift can end these locks within the test.
 */

const PER_USER = 3;
const PER_ADDRESS = 4;

let app: RunningApp;
let db: { database: string; drop: () => Promise<void> };
let prefix: string;

beforeAll(async () => {
  db = await freshDatabase();
  prefix = freshRedisPrefix();
  app = await startTestApp({
    mysql: { database: db.database },
    redis: { key_prefix: prefix },
    http: { trust_proxy: 1 },
    auth: {
      login_max_failures_per_user: PER_USER,
      login_max_failures_per_address: PER_ADDRESS,
      login_window_seconds: 3600,
    },
  });
});

afterAll(async () => {
  await app.stop();
  await db.drop();
});

/** Runs a maintenance script as an operator would, against this test's database and Redis prefix. */
function script(file: string, args: string[]): Promise<CommandResult> {
  return runCommand('npm', ['run', '--silent', 'script', '--', `scripts/${file}`, ...args], {
    TANDEM_MYSQL_DATABASE: db.database,
    TANDEM_REDIS_KEY_PREFIX: prefix,
    // The scripts count against the same limits as the server, as they do on a host sharing its config.
    TANDEM_AUTH_LOGIN_MAX_FAILURES_PER_USER: String(PER_USER),
    TANDEM_AUTH_LOGIN_MAX_FAILURES_PER_ADDRESS: String(PER_ADDRESS),
    TANDEM_AUTH_LOGIN_WINDOW_SECONDS: '3600',
  });
}

async function login(
  username: string,
  password: string,
  from: string,
): Promise<{ status: number; token?: string; retryAfter: string | null }> {
  const res = await fetch(`${baseUrl(app)}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
    body: JSON.stringify({ username, password }),
  });
  const body = (await res.json()) as { data: { token: string } | null };
  return { status: res.status, token: body.data?.token, retryAfter: res.headers.get('retry-after') };
}

function me(token: string): Promise<number> {
  return fetch(`${baseUrl(app)}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
}

it('when an account is locked and an operator resets its password with create_staff.ts, then the new password logs in at once and the sessions from before end', async () => {
  const created = await script('create_staff.ts', [
    '--username',
    'lena',
    '--password',
    'first password',
    '--roles',
    'cs_agent',
  ]);
  expect(created.code).toBe(0);
  const before = await login('lena', 'first password', '10.60.0.1');
  expect(before.status).toBe(200);
  for (let i = 0; i < PER_USER; i += 1) expect((await login('lena', 'wrong', `10.60.1.${i + 1}`)).status).toBe(401);
  const locked = await login('lena', 'first password', '10.60.2.1');
  expect(locked.status).toBe(429);
  expect(Number(locked.retryAfter)).toBeGreaterThan(3000);

  const reset = await script('create_staff.ts', [
    '--username',
    'lena',
    '--password',
    'second password',
    '--roles',
    'cs_agent',
  ]);

  expect(reset.code).toBe(0);
  expect((await login('lena', 'second password', '10.60.3.1')).status).toBe(200);
  expect(await me(before.token as string)).toBe(401);
});

it('when an address is locked, then unlock_login.ts --address lifts it, and says it was locked', async () => {
  const stamp = Date.now();
  for (let i = 0; i < PER_ADDRESS; i += 1) {
    expect((await login(`nobody-${stamp}-${i}`, 'guess', '203.0.113.77')).status).toBe(401);
  }
  await script('create_staff.ts', ['--username', 'omar', '--password', 'omar password', '--roles', 'cs_agent']);
  expect((await login('omar', 'omar password', '203.0.113.77')).status).toBe(429);

  const run = await script('unlock_login.ts', ['--address', '203.0.113.77']);

  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(/Logins from 203\.0\.113\.77 were locked for another \d+ s; the lock is lifted\./);
  expect((await login('omar', 'omar password', '203.0.113.77')).status).toBe(200);
});

it('when a username is locked, then unlock_login.ts --username lifts it without changing the password', async () => {
  await script('create_staff.ts', ['--username', 'pia', '--password', 'pia password', '--roles', 'cs_agent']);
  for (let i = 0; i < PER_USER; i += 1) await login('pia', 'wrong', `10.61.0.${i + 1}`);
  expect((await login('pia', 'pia password', '10.61.1.1')).status).toBe(429);

  const run = await script('unlock_login.ts', ['--username', 'PÍA']);

  expect(run.code).toBe(0);
  expect(run.stdout).toContain('the lock is lifted');
  expect((await login('pia', 'pia password', '10.61.1.2')).status).toBe(200);
});

it('when unlock_login.ts gets neither flag, then it says what to give and exits non-zero', async () => {
  const run = await script('unlock_login.ts', []);

  expect(run.code).not.toBe(0);
  expect(run.stderr).toContain('Give --address ADDRESS or --username NAME');
  expect(run.stderr).not.toMatch(/\n\s+at /);
});
