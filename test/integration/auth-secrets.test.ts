import { QueryTypes } from 'sequelize';
import type { RunningApp } from '../../src/core/app/app';
import { createStaffDomain, type StaffService } from '../../src/service/staff';
import { ACCESS } from '../../src/domains';
import { baseUrl, startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { captureLogs, type LogCapture } from '../helpers/log-capture';

/**
 * No password, session token or password hash in any log line or error
 * message. Every log line of the app is captured with access lines on, at
 * debug level, and with every query logged (slow_query_ms 0), while accounts
 * are created and changed and staff log in, fail to log in and log out.
 */

let app: RunningApp;
let db: { database: string; drop: () => Promise<void> };
let staff: StaffService;
let logs: LogCapture;

beforeAll(async () => {
  db = await freshDatabase();
  app = await startTestApp({
    mysql: { database: db.database },
    redis: { key_prefix: freshRedisPrefix() },
    log: { level: 'debug', access: true, slow_query_ms: 0 },
  });
  logs = captureLogs();
  staff = createStaffDomain(app.resources.sequelize, app.resources.redis, app.resources.config.auth, ACCESS).staff;
});

afterAll(async () => {
  await app.stop();
  await db.drop();
});

async function post(
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${baseUrl(app)}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, text: await res.text() };
}

async function storedHash(username: string): Promise<string> {
  const rows = await app.resources.sequelize.query<{ password_hash: string }>(
    'SELECT password_hash FROM staff WHERE username = ?',
    {
      replacements: [username],
      type: QueryTypes.SELECT,
    },
  );
  const hash = rows[0]?.password_hash;
  if (!hash) throw new Error(`no staff member ${username}`);
  return hash;
}

/** The parts of a secret that must not appear: the whole of it, and for a hash its derived key. */
function needles(secrets: string[]): string[] {
  return secrets.flatMap((s) => (s.startsWith('scrypt$') ? [s, s.split('$').pop() as string] : [s]));
}

it('when staff are created, log in, fail, send bad bodies and log out, then no log line and no answer holds a password, token or hash', async () => {
  const username = `secret-keeper-${Date.now()}`;
  const firstPassword = 'first-Pa55word-never-logged';
  const password = 'second-Pa55word-never-logged';
  const answers: string[] = [];

  // What scripts/create_staff.ts does: create, then update the password.
  await staff.upsert({ username, password: firstPassword, roles: ['cs_agent'] });
  const firstHash = await storedHash(username);
  const profile = await staff.upsert({ username, password, roles: ['cs_agent', 'cs_admin'] });
  const hash = await storedHash(username);

  const ok = await post('/api/auth/login', JSON.stringify({ username, password }));
  expect(ok.status).toBe(200);
  const token = (JSON.parse(ok.text) as { data: { token: string } }).data.token;
  const auth = { authorization: `Bearer ${token}` };
  answers.push(await fetch(`${baseUrl(app)}/api/auth/me`, { headers: auth }).then((r) => r.text()));

  const bad = [
    post('/api/auth/login', JSON.stringify({ username, password: `${password}-wrong` })),
    post('/api/auth/login', JSON.stringify({ username: `nobody-${Date.now()}`, password })),
    // Bodies that fail validation or parsing while carrying the password.
    post('/api/auth/login', JSON.stringify({ username, password: `${password}${'x'.repeat(300)}` })),
    post('/api/auth/login', JSON.stringify({ username, password: [password] })),
    post('/api/auth/login', JSON.stringify({ username, password: { value: password } })),
    post('/api/auth/login', JSON.stringify({ username, password, [password]: password })),
    post('/api/auth/login', JSON.stringify({ username: password.repeat(4), password })),
    post('/api/auth/login', `{"username":"${username}","password":"${password}"`),
    post('/api/auth/login', `{"username":"${username}","password":${password}}`),
  ];
  for (const answer of await Promise.all(bad)) {
    expect(answer.status).toBeGreaterThanOrEqual(400);
    answers.push(answer.text);
  }

  const out = await post('/api/auth/logout', '', auth);
  expect(out.status).toBe(200);
  const afterLogout = await fetch(`${baseUrl(app)}/api/auth/me`, { headers: auth });
  expect(afterLogout.status).toBe(401);
  answers.push(await afterLogout.text());
  await staff.setDisabled(profile.id, true);

  // Non-vacuous: the access lines of these requests and the staff queries were captured.
  await logs.find((l) => l.message === 'http access' && l.route === '/api/auth/logout');
  expect(logs.lines.filter((l) => l.message === 'http access' && l.path === '/api/auth/login').length).toBe(
    bad.length + 1,
  );
  expect(logs.lines.some((l) => typeof l.sql === 'string' && l.sql.includes('UPDATE `staff`'))).toBe(true);

  const secrets = needles([firstPassword, password, token, firstHash, hash]);
  const leaks = logs.lines
    .map((line) => JSON.stringify(line))
    .concat(answers)
    .flatMap((text) => secrets.filter((s) => text.includes(s)).map((s) => ({ secret: s.slice(0, 6), text })));
  expect(leaks).toEqual([]);
});

it('when a login body fails validation, then the 400 names the bad field without echoing its value', async () => {
  const password = 'an-unmistakable-secret-value';

  const res = await post('/api/auth/login', JSON.stringify({ username: 'someone', password: password.repeat(20) }));

  expect(res.status).toBe(400);
  const body = JSON.parse(res.text) as { code: number; msg: string };
  expect(body.code).toBe(1001);
  expect(body.msg).toContain('body.password');
  expect(body.msg).not.toContain(password);
});
