import type { RunningApp } from '../../src/core/app/app';
import { createStaffDomain, type StaffService } from '../../src/service/staff';
import { ACCESS } from '../../src/domains';
import { baseUrl, startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';

/**
 * Failed logins are limited per username and per client address, in Redis.
 * The app trusts X-Forwarded-For here (as behind a proxy), so that each test
 * logs in from client addresses of its own.
 */

const PER_USER = 3;
const PER_ADDRESS = 5;
// Short, with room for the attempts of one test to land inside one window on a busy machine.
const WINDOW_SECONDS = 3;

let app: RunningApp;
let db: { database: string; drop: () => Promise<void> };
let staff: StaffService;
let counter = 0;

beforeAll(async () => {
  db = await freshDatabase();
  app = await startTestApp({
    mysql: { database: db.database },
    redis: { key_prefix: freshRedisPrefix() },
    http: { trust_proxy: 1 },
    auth: {
      login_max_failures_per_user: PER_USER,
      login_max_failures_per_address: PER_ADDRESS,
      login_window_seconds: WINDOW_SECONDS,
    },
  });
  staff = createStaffDomain(app.resources.sequelize, app.resources.redis, app.resources.config.auth, ACCESS).staff;
});

afterAll(async () => {
  await app.stop();
  await db.drop();
});

async function newAccount(): Promise<{ username: string; password: string }> {
  counter += 1;
  const username = `limit-${counter}-${Date.now()}`;
  const password = `the right password ${counter}`;
  await staff.upsert({ username, password, roles: ['cs_agent'] });
  return { username, password };
}

interface Answer {
  status: number;
  code: number;
  retryAfter: string | null;
  msg: string;
}

async function login(username: string, password: string, from: string): Promise<Answer> {
  const res = await fetch(`${baseUrl(app)}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
    body: JSON.stringify({ username, password }),
  });
  const body = (await res.json()) as { code: number; msg: string };
  return { status: res.status, code: body.code, retryAfter: res.headers.get('retry-after'), msg: body.msg };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function expectBlocked(answer: Answer): number {
  expect({ status: answer.status, code: answer.code }).toEqual({ status: 429, code: 903 });
  const seconds = Number(answer.retryAfter);
  expect(Number.isInteger(seconds)).toBe(true);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(WINDOW_SECONDS);
  expect(answer.msg).toContain(`${seconds} seconds`);
  return seconds;
}

describe('failed logins per username', () => {
  it('when a username reaches the limit of failures, then 429 with Retry-After, even with the right password, until the window ends', async () => {
    const ana = await newAccount();
    // From a different address each time: the per-username limit does not care where they come from.
    for (let i = 0; i < PER_USER; i += 1) {
      const failed = await login(ana.username, 'wrong password', `10.1.0.${i + 1}`);
      expect({ status: failed.status, code: failed.code }).toEqual({ status: 401, code: 902 });
    }

    const wrongAgain = await login(ana.username, 'wrong password', '10.1.0.9');
    const rightDuringBlock = await login(ana.username, ana.password, '10.1.0.10');

    expectBlocked(wrongAgain);
    const wait = expectBlocked(rightDuringBlock);
    await sleep((wait + 1) * 1000);
    const rightAfterWindow = await login(ana.username, ana.password, '10.1.0.11');
    expect(rightAfterWindow.status).toBe(200);
  });

  it('when failures spell the username in another case, then they count against the same username', async () => {
    const bo = await newAccount();
    const spellings = [
      bo.username.toUpperCase(),
      bo.username,
      `${bo.username[0]?.toUpperCase()}${bo.username.slice(1)}`,
    ];

    for (const spelling of spellings) await login(spelling, 'wrong password', '10.2.0.1');

    expectBlocked(await login(bo.username, bo.password, '10.2.0.2'));
  });

  it('when one username is blocked, then another username logs in from the same address', async () => {
    const blocked = await newAccount();
    const other = await newAccount();
    for (let i = 0; i < PER_USER; i += 1) await login(blocked.username, 'wrong password', '10.3.0.1');

    const res = await login(other.username, other.password, '10.3.0.1');

    expect(res.status).toBe(200);
  });

  it('when a staff member logs in successfully, then their earlier failures are forgotten', async () => {
    const cy = await newAccount();
    for (let i = 0; i < PER_USER - 1; i += 1) await login(cy.username, 'wrong password', '10.4.0.1');
    expect((await login(cy.username, cy.password, '10.4.0.1')).status).toBe(200);

    for (let i = 0; i < PER_USER - 1; i += 1) await login(cy.username, 'wrong password', '10.4.0.2');
    const res = await login(cy.username, 'wrong password', '10.4.0.3');

    expect({ status: res.status, code: res.code }).toEqual({ status: 401, code: 902 });
  });
});

describe('failed logins per client address', () => {
  it('when one address reaches the limit of failures over many usernames, then it gets 429 until the window ends while other addresses log in', async () => {
    const dee = await newAccount();
    for (let i = 0; i < PER_ADDRESS; i += 1) {
      const failed = await login(`nobody-${i}-${Date.now()}`, 'guess', '10.5.0.1');
      expect(failed.status).toBe(401);
    }

    const fromBlocked = await login(dee.username, dee.password, '10.5.0.1');
    const fromElsewhere = await login(dee.username, dee.password, '10.5.0.2');

    const wait = expectBlocked(fromBlocked);
    expect(fromElsewhere.status).toBe(200);
    await sleep((wait + 1) * 1000);
    expect((await login(dee.username, dee.password, '10.5.0.1')).status).toBe(200);
  });
});
