import { spawn } from 'node:child_process';
import path from 'node:path';
import type { RunningApp } from '../../src/core/app/app';
import { baseUrl, startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { ROOT } from '../helpers/process';

/**
 * `npm run script -- scripts/create_staff.ts ...` run as operators run it, as
 * a child process, against this file's own database and Redis prefix; the
 * account it makes then logs in over HTTP to an app on the same database.
 */

let app: RunningApp;
let db: { database: string; drop: () => Promise<void> };
let prefix: string;

beforeAll(async () => {
  db = await freshDatabase();
  prefix = freshRedisPrefix();
  app = await startTestApp({ mysql: { database: db.database }, redis: { key_prefix: prefix } });
});

afterAll(async () => {
  await app.stop();
  await db.drop();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function createStaff(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'script', '--', 'scripts/create_staff.ts', ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        TANDEM_CONFIG_FILE: path.join(ROOT, 'test/fixtures/config/process.config.ts'),
        TANDEM_MYSQL_DATABASE: db.database,
        TANDEM_REDIS_KEY_PREFIX: prefix,
      },
      stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    child.stdin?.end(stdin);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function login(
  username: string,
  password: string,
): Promise<{ status: number; body: { code: number; data: { token: string; staff: { roles: string[] } } } }> {
  const res = await fetch(`${baseUrl(app)}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  return { status: res.status, body: (await res.json()) as never };
}

const password = 'script-made Pa55word';

it('when an operator creates a staff member with the script, then that account logs in over HTTP with its roles, and the password is not printed', async () => {
  const run = await createStaff([
    '--username',
    'ana',
    '--password',
    password,
    '--roles',
    'cs_agent,cs_admin',
    '--name',
    'Ana Li',
  ]);

  expect(run).toMatchObject({ code: 0 });
  expect(run.stdout).toContain('Staff ana (id ');
  expect(run.stdout + run.stderr).not.toContain(password);
  const res = await login('ana', password);
  expect(res.status).toBe(200);
  expect(res.body.data.staff).toMatchObject({
    username: 'ana',
    display_name: 'Ana Li',
    roles: ['cs_agent', 'cs_admin'],
  });
});

it('when the script runs again for the same username, then it updates the password and roles', async () => {
  const run = await createStaff(['--username', 'ana', '--password', `${password} v2`, '--roles', 'cs_agent']);

  expect(run.code).toBe(0);
  expect((await login('ana', password)).status).toBe(401);
  const res = await login('ana', `${password} v2`);
  expect(res.status).toBe(200);
  expect(res.body.data.staff.roles).toEqual(['cs_agent']);
});

it('when the script disables a staff member, then their live session gets 401 and they cannot log in', async () => {
  const { token } = (await login('ana', `${password} v2`)).body.data;
  // A route that trusts the session alone (not /me, which reads the account): once used, the
  // session is also in the server's memory, which the script's revocation must reach.
  const stats = (): Promise<Response> =>
    fetch(`${baseUrl(app)}/api/cs/stats`, { headers: { authorization: `Bearer ${token}` } });
  expect((await stats()).status).toBe(200);

  const run = await createStaff(['--username', 'ana', '--disable']);

  expect(run.code).toBe(0);
  expect(run.stdout).toContain('ana is now disabled');
  expect((await stats()).status).toBe(401);
  const me = await fetch(`${baseUrl(app)}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });
  expect(me.status).toBe(401);
  expect((await login('ana', `${password} v2`)).body.code).toBe(904);
});

it('when the password comes on standard input, then it is not on the command line and the account logs in with it', async () => {
  const secret = 'piped-in Pa55word';

  const run = await createStaff(['--username', 'cy', '--password-stdin', '--roles', 'risk_reviewer'], `${secret}\n`);

  expect(run.code).toBe(0);
  expect((await login('cy', secret)).status).toBe(200);
});

it('when the script is given an unknown role, then it exits 1 naming the role and creates nobody', async () => {
  const run = await createStaff(['--username', 'bo', '--password', password, '--roles', 'cs_agent,superuser']);

  expect(run.code).toBe(1);
  expect(run.stderr).toContain('unknown roles: superuser');
  expect(run.stderr).not.toContain(password);
  expect((await login('bo', password)).status).toBe(401);
});

it('when the script disables a username that does not exist, then it exits 1 and says so without claiming success', async () => {
  const run = await createStaff(['--username', 'nobody-here', '--disable']);

  expect(run.code).toBe(1);
  expect(run.stderr).toContain('There is no staff member named nobody-here');
  expect(run.stdout).not.toContain('is now disabled');
});

it('when a flag is misspelled, then the script exits 1 naming it and creates nobody', async () => {
  const run = await createStaff(['--username', 'di', '--pasword', password, '--roles', 'cs_agent']);

  expect(run.code).toBe(1);
  expect(run.stderr).toContain("Unknown option '--pasword'");
  expect((await login('di', password)).status).toBe(401);
});
