import { runCommand } from '../helpers/command';
import { spawnServer, type ServerProcess } from '../helpers/process';
import { within } from '../helpers/wait';

// Child processes start slowly on a loaded machine: the waits are bounds against hanging, not speed assertions.
jest.setTimeout(90_000);

const spawned: ServerProcess[] = [];
afterAll(async () => {
  for (const p of spawned) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  }
});

const ALL_RISKS = 'mysql_root,mysql_no_password,metrics_open,thrift_open';

describe('a prod start (src/main.ts)', () => {
  it('when the configuration keeps root with no password, /metrics open and Thrift open, then it exits 78 naming each key', async () => {
    const server = spawnServer('src/main.ts', { TANDEM_ENV: 'prod' });
    spawned.push(server);

    const exit = await within(server.exited, 30000, 'the process exiting');

    expect(exit.code).toBe(78);
    const lines = server.stderr().trim().split('\n');
    expect(lines.filter((l) => / A prod start refuses this unless accept_risks/.test(l))).toHaveLength(4);
    for (const key of ['mysql.user', 'mysql.password', 'metrics.port', 'thrift.callers']) {
      expect(lines.some((l) => l.includes(key))).toBe(true);
    }
    expect(server.logs.find((l) => l.message === 'tandem is serving')).toBeUndefined();
  });

  it('when TANDEM_ACCEPT_RISKS names the four risks, then it serves and says once which it runs with', async () => {
    const server = spawnServer('src/main.ts', { TANDEM_ENV: 'prod', TANDEM_ACCEPT_RISKS: ALL_RISKS });
    spawned.push(server);

    await server.serving();
    server.child.kill('SIGTERM');
    const exit = await within(server.exited, 30000, 'the process exiting');

    expect(exit).toEqual({ code: 0, signal: null });
    const warnings = server.logs.filter((l) => String(l.message).includes('known-unsafe settings'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.accept_risks).toEqual(ALL_RISKS.split(','));
  });
});

describe('npm run config -- print', () => {
  it('when secrets come from TANDEM_* variables, then they are masked and each value names its source', async () => {
    const result = await runCommand('npm', ['run', '--silent', 'config', '--', 'print'], {
      TANDEM_MYSQL_PASSWORD: 's3cret-pw',
      TANDEM_REDIS_URL: 'redis://:hunter2-pw@127.0.0.1:6379/0',
    });

    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('s3cret-pw');
    expect(result.stdout).not.toContain('hunter2-pw');
    const row = (key: string): string[] =>
      (result.stdout.split('\n').find((l) => l.startsWith(`${key} `)) ?? '').trim().split(/\s{2,}/);
    expect(row('mysql.password')).toEqual(['mysql.password', '"****"', 'TANDEM_MYSQL_PASSWORD']);
    expect(row('redis.url')).toEqual(['redis.url', '"redis://:****@127.0.0.1:6379/0"', 'TANDEM_REDIS_URL']);
    expect(row('mysql.database')).toEqual([
      'mysql.database',
      '"tandem_test"',
      expect.stringContaining('process.config.ts'),
    ]);
    expect(row('http.body_limit')).toEqual(['http.body_limit', '"1mb"', 'default']);
    expect(result.stdout).toContain('A start accepts this configuration (env test).');
  });

  it('when asked for --env prod, then it shows the file make config ENV=prod writes and why a start refuses it, with status 78', async () => {
    const result = await runCommand('npm', ['run', '--silent', 'config', '--', 'print', '--env', 'prod'], {});

    expect(result.code).toBe(78);
    expect(result.stdout).toMatch(/^http\.host\s+"0\.0\.0\.0"\s+make config ENV=prod$/m);
    expect(result.stdout).toMatch(/^http\.docs\s+false\s+make config ENV=prod$/m);
    expect(result.stderr).toContain(
      "Configuration key thrift.callers still holds the 'CHANGE ME' marker that make config ENV=prod writes",
    );
    expect(result.stderr).toContain('A start refuses this configuration (env prod) with status 78');
  });
});
