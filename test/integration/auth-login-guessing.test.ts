import Redis from 'ioredis';
import type { RunningApp } from '../../src/core/app/app';
import { createStaffDomain, type StaffService } from '../../src/service/staff';
import { ACCESS } from '../../src/domains';
import { baseUrl, startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { captureLogs, type LogCapture } from '../helpers/log-capture';

/**
 * Guessing around the login limits, with the documented defaults (5 per
 * account, 20 per address, 15 minutes) and one trusted proxy in front
 * (`http.trust_proxy: 1`): bursts sent at once, addresses written by the
 * client, and spellings the database takes for one name. "Checked" is an
 * attempt whose password was looked at: it answers 401 (or 200), where a
 * refused one answers 429. Each test states its figures on stderr.
 */

const PER_USER = 5;
const PER_ADDRESS = 20;

let app: RunningApp;
let db: { database: string; drop: () => Promise<void> };
let staff: StaffService;
let prefix: string;
let counter = 0;
let logs: LogCapture;

beforeAll(async () => {
  db = await freshDatabase();
  prefix = freshRedisPrefix();
  app = await startTestApp({
    mysql: { database: db.database },
    redis: { key_prefix: prefix },
    http: { trust_proxy: 1 },
    auth: { login_max_failures_per_user: PER_USER, login_max_failures_per_address: PER_ADDRESS },
  });
  staff = createStaffDomain(app.resources.sequelize, app.resources.redis, app.resources.config.auth, ACCESS).staff;
  logs = captureLogs();
});

afterAll(async () => {
  await app.stop();
  await db.drop();
});

function figure(text: string): void {
  process.stderr.write(`  [figures] ${text}\n`);
}

async function newAccount(username?: string): Promise<{ username: string; password: string }> {
  counter += 1;
  const name = username ?? `guess-${counter}-${Date.now()}`;
  const password = `the right password ${counter}`;
  await staff.upsert({ username: name, password, roles: ['cs_agent'] });
  return { username: name, password };
}

async function login(username: string, password: string, forwardedFor: string): Promise<number> {
  const res = await fetch(`${baseUrl(app)}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: JSON.stringify({ username, password }),
  });
  await res.arrayBuffer();
  return res.status;
}

function tally(statuses: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1;
  return out;
}

describe('a burst of attempts sent at once', () => {
  it('when 200 wrong passwords for one account arrive at once from 200 addresses, then at most 5 are checked and the rest get 429', async () => {
    const target = await newAccount();

    const statuses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        login(target.username, `wrong ${i}`, `10.20.${Math.floor(i / 250)}.${(i % 250) + 1}`),
      ),
    );

    const counts = tally(statuses);
    figure(`200 concurrent wrong passwords for one account: ${counts[401] ?? 0} checked, ${counts[429] ?? 0} refused`);
    expect(counts[401] ?? 0).toBeLessThanOrEqual(PER_USER);
    expect((counts[401] ?? 0) + (counts[429] ?? 0)).toBe(200);
    expect(await login(target.username, target.password, '10.21.0.1')).toBe(429);
    // One line when the lock began, not one per refused attempt; it names the account by id, never by the name typed.
    const anyLock = logs.lines.filter((l) => String(l.message).startsWith('login attempts locked for this account'));
    figure(`log lines for the lock of the burst's account: ${anyLock.length}`);
    expect(anyLock).toHaveLength(1);
    expect(anyLock[0]).toMatchObject({ limit: 'account', locked_for_seconds: expect.any(Number) as number });
    expect(JSON.stringify(anyLock[0])).not.toContain(target.username);
  });

  it('when 200 guesses over 200 usernames arrive at once from one address, then at most 20 are checked', async () => {
    const stamp = Date.now();

    const statuses = await Promise.all(
      Array.from({ length: 200 }, (_, i) => login(`nobody-${stamp}-${i}`, 'guess', '198.51.100.20')),
    );

    const counts = tally(statuses);
    figure(`200 concurrent guesses from one address: ${counts[401] ?? 0} checked, ${counts[429] ?? 0} refused`);
    expect(counts[401] ?? 0).toBeLessThanOrEqual(PER_ADDRESS);
    expect((counts[401] ?? 0) + (counts[429] ?? 0)).toBe(200);
  });
});

describe('successes from one address', () => {
  it('when more colleagues than the address limit log in from one address, then none is refused: a success takes its attempt back', async () => {
    const colleagues = await Promise.all(Array.from({ length: PER_ADDRESS + 5 }, () => newAccount()));

    const statuses: number[] = [];
    for (const c of colleagues) statuses.push(await login(c.username, c.password, '198.51.100.30'));

    expect(tally(statuses)).toEqual({ 200: PER_ADDRESS + 5 });
  });
});

describe('the client address behind one trusted proxy', () => {
  it('when each guess writes a different X-Forwarded-For in front of the one the proxy added, then they count under the proxy-added address', async () => {
    const stamp = Date.now();
    const statuses: number[] = [];
    for (let n = 1; n <= 100; n += 1) {
      // What a client sends as "10.2.0.N" the proxy passes on with the address it saw appended.
      statuses.push(await login(`rotating-${stamp}-${n}`, 'guess', `10.2.0.${n}, 203.0.113.9`));
    }

    const counts = tally(statuses);
    figure(`100 guesses with a rotating X-Forwarded-For: ${counts[401] ?? 0} checked, ${counts[429] ?? 0} refused`);
    expect(counts[401]).toBe(PER_ADDRESS);
    expect(counts[429]).toBe(100 - PER_ADDRESS);
  });
});

describe('spellings the database takes for one username', () => {
  it('when wrong passwords come for victím, vìctim, vîctim, VICTIM and ｖｉｃｔｉｍ, then they count against the one account, and its right password then gets 429', async () => {
    const victim = await newAccount(`victim${Date.now() % 100000}`);
    const suffix = victim.username.slice('victim'.length);
    const spellings = ['victím', 'vìctim', 'vîctim', 'VICTIM', 'ｖｉｃｔｉｍ'].map((s) => `${s}${suffix}`);
    // The database finds the account under every spelling (utf8mb4_unicode_ci), so each is a real guess at it.
    for (const spelling of spellings) {
      expect((await staff.unlockUsername(spelling)).found).toBe(true);
    }

    const statuses: number[] = [];
    let address = 0;
    for (const spelling of spellings) {
      for (let i = 0; i < 4; i += 1) {
        address += 1;
        statuses.push(await login(spelling, 'wrong', `10.30.0.${address}`));
      }
    }
    const right = await login(`ｖｉｃｔｉｍ${suffix}`, victim.password, '10.30.1.1');

    const counts = tally(statuses);
    figure(
      `20 guesses over 5 spellings of one name: ${counts[401] ?? 0} checked (limit ${PER_USER}); right password in full width: ${right}`,
    );
    expect(counts[401]).toBe(PER_USER);
    expect(right).toBe(429);
  });

  it('when wrong passwords come for spellings of a name that has no account, then they count as one name', async () => {
    const base = `ghost${Date.now() % 100000}`;
    const spellings = [
      base,
      base.toUpperCase(),
      base.replace('o', 'ó'),
      base.replace('g', 'ｇ'),
      base.replace('s', 'ś'),
    ];
    const statuses: number[] = [];
    let address = 0;
    for (const spelling of spellings) {
      for (let i = 0; i < 2; i += 1) {
        address += 1;
        statuses.push(await login(spelling, 'wrong', `10.31.0.${address}`));
      }
    }

    expect(tally(statuses)[401]).toBe(PER_USER);
  });
});

describe('the limiter on Redis 6', () => {
  it('when a login fails and one succeeds, then every Redis command the limiter sends exists in Redis 6 (no EXPIRE option, which came with Redis 7)', async () => {
    const account = await newAccount();
    const monitor = await new Redis(app.resources.config.redis.url, { lazyConnect: true }).monitor();
    const commands: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args.some((a) => a.includes(`${prefix}login-attempts`))) commands.push(args);
    });
    try {
      expect(await login(account.username, 'wrong', '10.40.0.1')).toBe(401);
      expect(await login(account.username, account.password, '10.40.0.1')).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      monitor.disconnect();
    }

    const names = commands.map((c) => (c[0] ?? '').toLowerCase());
    expect(names.length).toBeGreaterThan(0);
    const withExpireOptions = commands.filter(
      (c) => ['expire', 'pexpire'].includes((c[0] ?? '').toLowerCase()) && c.length > 3,
    );
    expect(withExpireOptions).toEqual([]);
    const redis6 = new Set(['evalsha', 'eval', 'set', 'incrby', 'pttl', 'expire', 'get', 'del', 'multi', 'exec']);
    expect(names.filter((n) => !redis6.has(n))).toEqual([]);
  });
});
