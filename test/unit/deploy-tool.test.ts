import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { releaseName, resolveCommit } from '../../deploy/lib/build';
import { environment, rollOut, runningCommand, unlockAll } from '../../deploy/lib/fleet';
import {
  fleetLine,
  findRelease,
  lastDeploy,
  releaseWords,
  undoPlan,
  type DeployRecord,
  type HostState,
} from '../../deploy/lib/history';
import { Progress } from '../../deploy/lib/progress';
import { hostGate, NO_HEALTH_URL } from '../../deploy/lib/roles';
import { environmentSettings } from '../../deploy/lib/settings';
import { BadHostError, parseHost, shellQuote } from '../../deploy/lib/ssh';
import { buildConfig } from '../../src/core/config';

describe('deploy hosts and quoting', () => {
  it.each([
    ['tandem-1', { destination: 'tandem-1', port: undefined }],
    ['deploy@10.0.0.5', { destination: 'deploy@10.0.0.5', port: undefined }],
    ['deploy@10.0.0.5:2222', { destination: 'deploy@10.0.0.5', port: '2222' }],
    ['[::1]:2200', { destination: '::1', port: '2200' }],
    ['root@[fd00::5]', { destination: 'root@fd00::5', port: undefined }],
    ['fleet_one.example-2', { destination: 'fleet_one.example-2', port: undefined }],
  ])('when the host is %s, then ssh gets its destination and port', (name, expected) => {
    expect(parseHost(name)).toMatchObject({ name, ...expected });
  });

  it.each([
    'tb-h1;touch /tmp/x',
    'tb-h1 && touch /tmp/x',
    '$(touch /tmp/x)',
    '`touch /tmp/x`',
    'host a',
    '-oProxyCommand=touch /tmp/x',
    '-oProxyCommand=sh',
    'root@-oProxyCommand=sh',
    '-p2222',
    '.hidden',
    'a|b',
    'a\nb',
    'host:0',
    'host:70000',
    'host:22:22',
    'user@',
    '@host',
    '[::1',
    '[not-v6]:22',
    '',
  ])('when the host is %j, then it is refused, named, before anything runs', (name) => {
    expect(() => parseHost(name)).toThrow(BadHostError);
    expect(() => parseHost(name)).toThrow(`"${name}" is not a host.`);
  });

  it('when an argument holds spaces, quotes or $, then the remote shell gets it as one word, unchanged', () => {
    const word = `bash current/deploy/service.sh restart 'server' "$HOME" ; rm -rf /`;
    const echoed = execFileSync('bash', ['-c', `printf '%s' ${shellQuote(word)}`], { encoding: 'utf8' });
    expect(echoed).toBe(word);
  });
});

describe('deploy settings', () => {
  it('when only hosts are given, then every other key takes its default', () => {
    const s = environmentSettings({ prod: { hosts: ['a', 'b'] } }, 'prod', 'environments.ts');
    expect(s).toMatchObject({ deploy_to: '/srv/tandem', batch: 1, keep_releases: 5, migrate: true });
  });

  it('when a key is unknown or the environment missing, then the error names it', () => {
    expect(() => environmentSettings({ prod: { hosts: ['a'], batchh: 2 } }, 'prod', 'envs.ts')).toThrow(/batchh/);
    expect(() => environmentSettings({ prod: { hosts: [] } }, 'prod', 'envs.ts')).toThrow(/prod\.hosts/);
    // A path the systemd units would split (ExecStart) or sed would misread is refused before any host is touched.
    for (const deploy_to of ['/srv/my tandem', '/srv/a#b', '/srv/a&b']) {
      expect(() => environmentSettings({ prod: { hosts: ['a'], deploy_to } }, 'prod', 'envs.ts')).toThrow(
        /prod\.deploy_to: use letters, digits and \. _ \/ - only/,
      );
    }
    expect(() => environmentSettings({ prod: { hosts: ['a'] } }, 'staging', 'envs.ts')).toThrow(
      /no environment "staging" in envs\.ts; it has: prod/,
    );
  });
});

describe('roles per host (web, rpc, worker)', () => {
  const settings = environmentSettings(
    {
      prod: {
        hosts: [
          'all-1',
          { host: 'web-1', roles: ['web'] },
          { host: 'rpc-1', roles: ['rpc'] },
          { host: 'deploy@worker-1:2222', roles: ['worker'] },
          { host: 'both-1', roles: ['worker', 'rpc'] },
        ],
        roles: { rpc: { health_url: 'http://127.0.0.1:9500/health' } },
        restart_command: 'bash current/deploy/service.sh restart',
      },
    },
    'prod',
    'envs.ts',
  );
  const gateOf = (name: string) => {
    const target = environment('prod', settings).targets.find((t) => t.name === name);
    return { roles: target?.roles, ...hostGate(settings, target?.roles) };
  };

  it("when a host is listed by name alone, then it runs every role with the environment's own restart and health", () => {
    expect(gateOf('all-1')).toEqual({
      roles: undefined,
      restart_command: 'bash current/deploy/service.sh restart',
      health_url: 'http://127.0.0.1:8000/health',
      running_command: undefined,
    });
  });

  it("when a host has roles, then it restarts those roles' units once each and waits for the health of its door, or for its worker to keep running", () => {
    expect([gateOf('web-1'), gateOf('rpc-1'), gateOf('deploy@worker-1:2222'), gateOf('both-1')]).toEqual([
      {
        roles: ['web'],
        restart_command: 'sudo -n systemctl reload-or-restart tandem-server.service',
        health_url: 'http://127.0.0.1:8000/health',
        running_command: 'systemctl is-active --quiet tandem-server.service',
      },
      {
        roles: ['rpc'],
        restart_command: 'sudo -n systemctl reload-or-restart tandem-server.service',
        health_url: 'http://127.0.0.1:9500/health',
        running_command: 'systemctl is-active --quiet tandem-server.service',
      },
      {
        roles: ['worker'],
        restart_command: 'sudo -n systemctl restart tandem-worker.service',
        health_url: NO_HEALTH_URL,
        running_command: 'systemctl is-active --quiet tandem-worker.service',
      },
      {
        roles: ['rpc', 'worker'],
        restart_command:
          'sudo -n systemctl reload-or-restart tandem-server.service && sudo -n systemctl restart tandem-worker.service',
        health_url: 'http://127.0.0.1:9500/health',
        running_command: 'systemctl is-active --quiet tandem-server.service',
      },
    ]);
  });

  it('when a role is unknown or a host has none, then the settings are refused naming the key', () => {
    expect(() => environmentSettings({ prod: { hosts: [{ host: 'a', roles: ['cron'] }] } }, 'prod', 'envs.ts')).toThrow(
      /prod\.hosts\.0/,
    );
    expect(() => environmentSettings({ prod: { hosts: [{ host: 'a', roles: [] }] } }, 'prod', 'envs.ts')).toThrow(
      /prod\.hosts\.0/,
    );
  });
});

describe('the release and its commit', () => {
  let repo: string;
  beforeAll(() => {
    repo = mkdtempSync(path.join(os.tmpdir(), 'tandem-deploy-repo-'));
    const git = (...args: string[]): string => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' });
    git('init', '-q');
    git('config', 'user.email', 't@localhost');
    git('config', 'user.name', 't');
    writeFileSync(path.join(repo, 'a.txt'), 'one\n');
    git('add', 'a.txt');
    git('commit', '-q', '-m', 'one');
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it('when the release is named, then it sorts by time and carries the commit', () => {
    const commit = 'ab'.repeat(20);
    expect(releaseName(commit, new Date('2026-12-04T18:46:15.123Z'))).toBe('20261204T184615Z-abababababab');
  });

  it('when the work tree has a change, then the deploy refuses unless allowed, naming the file', () => {
    const clean = resolveCommit(repo, 'HEAD', false);
    expect(clean).toMatch(/^[0-9a-f]{40}$/);
    writeFileSync(path.join(repo, 'a.txt'), 'two\n');
    expect(() => resolveCommit(repo, 'HEAD', false)).toThrow(/1 uncommitted change\(s\) \(a\.txt\).*--allow-dirty/);
    expect(resolveCommit(repo, 'HEAD', true)).toBe(clean);
    expect(() => resolveCommit(repo, 'no-such-ref', true)).toThrow(/"no-such-ref" is not a commit/);
  });
});

describe('the systemd units', () => {
  const unit = (name: string): string =>
    readFileSync(path.join(__dirname, '..', '..', 'deploy', 'systemd', name), 'utf8');
  const stopSeconds = (text: string): number => Number(/^TimeoutStopSec=(\d+)$/m.exec(text)?.[1]);

  it('when the server is stopped, then systemd waits longer than its drain delay and shutdown deadline', () => {
    const { server } = buildConfig({}, {});
    const text = unit('tandem-server.service');
    expect(stopSeconds(text) * 1000).toBeGreaterThan(server.drain_delay_ms + server.shutdown_timeout_ms);
    expect(text).toMatch(/^KillSignal=SIGTERM$/m);
    expect(text).toMatch(/^Restart=on-failure$/m);
    expect(text).toMatch(/^EnvironmentFile=-@DEPLOY_TO@\/shared\/env$/m);
    // The reloadable primary keeps the ports; a reload (the deploy's reload-or-restart) waits for its outcome.
    expect(text).toMatch(
      /^ExecStart=@NODE@ .*@DEPLOY_TO@\/current\/dist\/src\/primary\.js @DEPLOY_TO@ \/run\/tandem-server$/m,
    );
    expect(text).toMatch(/^ExecReload=\/bin\/bash @DEPLOY_TO@\/current\/deploy\/service\.sh reload server$/m);
    expect(text).toMatch(/^RuntimeDirectory=tandem-server$/m);
  });

  it('when the worker is stopped, then systemd waits longer than its running jobs may take', () => {
    const { queue } = buildConfig({}, {});
    const text = unit('tandem-worker.service');
    expect(stopSeconds(text) * 1000).toBeGreaterThan(queue.drain_timeout_ms);
    expect(text).toMatch(/^ExecStart=@NODE@ .*@DEPLOY_TO@\/current\/dist\/src\/worker\.js$/m);
  });
});

describe('the health wait after a switch', () => {
  const deployDir = path.join(__dirname, '..', '..', 'deploy');
  const release = '20261204T184615Z-abababababab';
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'tandem deploy root '));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** deploy/remote.sh run here as ssh would run it on a host (its exit code and output). */
  const remoteSh = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile('bash', [path.join(deployDir, 'remote.sh'), ...args], { encoding: 'utf8' }, (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      );
    });

  it('when the new server has died, then the wait ends at once naming it, not after health_timeout_ms', async () => {
    // Nothing listens on a port bound and closed again; the running command says the server is gone.
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise((r) => server.close(r));
    const result = await remoteSh('health', root, release, `http://127.0.0.1:${port}/health`, '600000', 'exit 3');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(`the server is not running on ${release} (exit 3: exit 3); last: no answer`);
  }, 20_000);

  it('when the check itself hangs, then it says nothing: the wait goes on to its timeout', async () => {
    const result = await remoteSh('health', root, release, 'http://127.0.0.1:1/health', '1000', 'sleep 60');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(`not healthy on ${release} within 1000 ms; last: no answer`);
  }, 20_000);

  it('when the server runs and answers with the release, then the wait succeeds (the check runs in deploy_to)', async () => {
    const server = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ data: { status: 'ok', release } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    writeFileSync(path.join(root, 'marker'), '');
    try {
      const url = `http://127.0.0.1:${port}/health`;
      const result = await remoteSh(
        'health',
        root,
        release,
        url,
        '10000',
        'test -f marker && test "$DEPLOY_TO" = "$PWD"',
      );
      expect(result).toMatchObject({ code: 0, stdout: `HTTP 200, status ok, release ${release}\n` });
    } finally {
      await new Promise((r) => server.close(r));
    }
  }, 20_000);

  it('when a worker-only host has no health URL, then the wait passes once the worker kept running, and fails at once when it died', async () => {
    const ok = await remoteSh('health', root, release, '-', '10000', 'true');
    const died = await remoteSh('health', root, release, '-', '10000', 'exit 3');
    expect([ok.code, ok.stdout, died.code, died.stderr]).toEqual([
      0,
      'running for 5000 ms (no health URL)\n',
      1,
      `the process is not running on ${release} (exit 3: exit 3)\n`,
    ]);
  }, 20_000);

  it('when service.sh status finds the server stopped, then it exits 3; running, 0', () => {
    const status = (): number => {
      try {
        execFileSync('bash', [path.join(deployDir, 'service.sh'), 'status', 'server'], {
          env: { ...process.env, DEPLOY_TO: root },
          stdio: 'ignore',
        });
        return 0;
      } catch (err) {
        return (err as { status: number }).status;
      }
    };
    rmSync(path.join(root, 'shared'), { recursive: true, force: true });
    expect(status()).toBe(3);
    execFileSync('mkdir', ['-p', path.join(root, 'shared')]);
    writeFileSync(path.join(root, 'shared', 'server.pid'), `${process.pid}\n`);
    expect(status()).toBe(0);
  });

  it.each([
    [{}, 'systemctl is-active --quiet tandem-server.service'],
    [{ restart_command: 'bash current/deploy/service.sh restart' }, 'bash current/deploy/service.sh status server'],
    [
      { restart_command: 'bash current/deploy/service.sh restart server' },
      'bash current/deploy/service.sh status server',
    ],
    [{ restart_command: 'bash current/deploy/service.sh restart worker' }, ''],
    [{ restart_command: '/usr/local/bin/restart-tandem' }, ''],
    [
      { restart_command: 'bash current/deploy/service.sh restart', running_command: 'pgrep -f main.js' },
      'pgrep -f main.js',
    ],
    [{ running_command: '' }, ''],
  ])('when the settings are %j, then the health wait checks the server with "%s"', (given, expected) => {
    expect(runningCommand(environmentSettings({ e: { hosts: ['a'], ...given } }, 'e', 'envs.ts'))).toBe(expected);
  });
});

describe('the deploy lock when a host cannot be reached', () => {
  it('when the lock of a host cannot be removed, then it is said with the way to remove it, and counted', async () => {
    // Port 1 of this machine refuses at once: ssh fails (255) as for a host that went away during the deploy.
    const settings = environmentSettings(
      { fleet: { hosts: ['127.0.0.1:1'], ssh_options: ['-o', 'ConnectTimeout=5', '-o', 'StrictHostKeyChecking=no'] } },
      'fleet',
      'envs.ts',
    );
    const lines: string[] = [];
    const failed = await unlockAll(environment('fleet', settings), 'me pid 1', new Progress((l) => lines.push(l)));
    expect(failed).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^ {2}\[127\.0\.0\.1:1\] the deploy lock could NOT be removed \(exit 255: .*\); once the host is reachable: npm run deploy -- fleet unlock$/,
    );
  }, 20_000);
});

describe('the command line, refused before anything runs', () => {
  const root = path.join(__dirname, '..', '..');
  let dir: string;
  let settingsFile: string;
  let calls: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-deploy-cli-'));
    settingsFile = path.join(dir, 'environments.js');
    writeFileSync(
      settingsFile,
      `module.exports = ${JSON.stringify({ fleet: { hosts: ['h1', 'deploy@h2:2222'] }, bad: { hosts: ['h1;id'] } })};\n`,
    );
    // ssh and rsync on the PATH only write down that they were called: none of these runs may call them.
    calls = path.join(dir, 'calls');
    for (const tool of ['ssh', 'rsync']) {
      writeFileSync(path.join(dir, tool), `#!/bin/sh\necho ${tool} "$@" >>'${calls}'\nexit 255\n`, { mode: 0o755 });
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** npm run deploy -- ARGS (the CLI through tsx, as the npm script runs it): its exit code and output. */
  const cli = (...args: string[]): Promise<{ code: number; out: string }> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [
          '-r',
          path.join(root, 'node_modules', 'tsx', 'dist', 'cjs', 'index.cjs'),
          path.join(root, 'deploy', 'cli.ts'),
        ].concat(args, ['--settings', settingsFile]),
        { cwd: root, encoding: 'utf8', env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` } },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }),
      );
    });

  it.each([
    [['fleet:tb-h1;touch /tmp/x'], '"tb-h1;touch /tmp/x" is not a host.'],
    [['fleet:tb-h1;touch /tmp/x', '--dry-run'], '"tb-h1;touch /tmp/x" is not a host.'],
    [['fleet:tb-h1;touch /tmp/x', 'status'], '"tb-h1;touch /tmp/x" is not a host.'],
    [['fleet:h1,-oProxyCommand=touch /tmp/x', 'rollback', '--dry-run'], '"-oProxyCommand=touch /tmp/x" is not a host.'],
    [['fleet:host a', 'setup', '--dry-run'], '"host a" is not a host.'],
    [['fleet:$(id)', 'unlock'], '"$(id)" is not a host.'],
    [['bad', 'status'], '"h1;id" is not a host.'],
    [['fleet:h1,,h2', 'status'], 'no empty entry'],
    [
      ['fleet', '--ref', 'no-such-ref-anywhere', '--allow-dirty', '--dry-run'],
      '"no-such-ref-anywhere" is not a commit',
    ],
    [['staging', 'status'], 'There is no environment "staging"'],
    [['fleet', 'status', 'rollback'], 'Name one command, not status and rollback.'],
    [['fleet', 'status', '--ref', 'HEAD'], '--ref is a flag of deploy, not of status.'],
    [['fleet', '--to', 'x', '--dry-run'], '--to is a flag of rollback, not of deploy.'],
    [['fleet', 'prod', 'status'], 'Name one environment, not "fleet" and "prod"'],
    [['fleet', '--no-such-flag'], "Unknown option '--no-such-flag'"],
  ])(
    'when the command line is %j, then it exits 2 naming what is wrong, and ssh never runs',
    async (args, said) => {
      rmSync(calls, { force: true });
      const run = await cli(...args);
      expect(run.out).toContain(said);
      expect(run.code).toBe(2);
      expect(existsSync(calls) ? readFileSync(calls, 'utf8') : '').toBe('');
    },
    30_000,
  );

  it('when the hosts are good, then ssh is called with -- before each destination', async () => {
    rmSync(calls, { force: true });
    const run = await cli('fleet', 'status');
    expect(run.code).toBe(1);
    const lines = readFileSync(calls, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.some((l) => / -o BatchMode=yes -- h1 bash -s -- status /.test(l))).toBe(true);
    expect(lines.some((l) => / -p 2222 -o BatchMode=yes -- deploy@h2 bash -s -- status /.test(l))).toBe(true);
  }, 30_000);
});

describe('what rollback undoes, and whether the fleet is split', () => {
  const settings = environmentSettings({ fleet: { hosts: ['h1', 'h2'] } }, 'fleet', 'envs.ts');
  const env = environment('fleet', settings);
  const [A, B, C] = ['20261201T100000Z-aaaaaaaaaaaa', '20261202T100000Z-bbbbbbbbbbbb', '20261203T100000Z-cccccccccccc'];
  const state = (i: number, current: string | null, records: DeployRecord[], error?: string): HostState => ({
    target: env.targets[i] as HostState['target'],
    current,
    releases: [C, B, A],
    lock: null,
    records,
    health: {},
    ...(error ? { error } : {}),
  });
  const rec = (release: string, from: string | null, outcome: string, at: string): DeployRecord => ({
    at,
    action: 'deploy',
    release,
    from,
    outcome,
  });

  it('when the last deploy switched the first host and never reached the second, then only the first goes back', () => {
    const states = [
      state(0, C, [rec(B, A, 'ok', '2026-12-02T10:01'), rec(C, B, 'ok', '2026-12-03T10:01')]),
      state(1, B, [rec(B, A, 'ok', '2026-12-02T10:02')]),
    ];
    const last = lastDeploy(states);
    expect(last?.release).toBe(C);
    const plan = undoPlan(states, last as DeployRecord);
    expect(plan.map((p) => p.to)).toEqual([B, undefined]);
    expect(plan[1]?.why).toBe(`stays on ${B}: the deploy did not reach it`);
    expect(fleetLine(env, states)).toEqual([
      `The fleet is SPLIT across 2 releases: ${C} on h1; ${B} on h2.`,
      `To put it back together on the release before ${C}: npm run deploy -- fleet rollback (or deploy again once every host is reachable).`,
    ]);
  });

  it('when the last deploy failed on the first host and went back, then nothing is undone', () => {
    const states = [
      state(0, B, [rec(B, A, 'ok', '2026-12-02T10:01'), rec(C, B, 'rolled_back', '2026-12-03T10:01')]),
      state(1, B, [rec(B, A, 'ok', '2026-12-02T10:02'), rec(C, B, 'not_switched', '2026-12-03T10:02')]),
    ];
    const plan = undoPlan(states, lastDeploy(states) as DeployRecord);
    expect(plan.map((p) => p.to)).toEqual([undefined, undefined]);
    expect(plan[0]?.why).toBe(`stays on ${B}: the deploy rolled back`);
    expect(fleetLine(env, states)).toEqual([`The reachable hosts are all on ${B}.`]);
  });

  it('when a host cannot be read, then its release is unknown, never none, and the command to reunite names the others', () => {
    const states = [
      state(0, C, [rec(C, B, 'ok', '2026-12-03T10:01')]),
      state(1, null, [], 'exit 255: ssh: connect to host h2 port 22: Connection refused'),
    ];
    expect(releaseWords(states[1] as HostState)).toBe(
      'unknown (unreachable: exit 255: ssh: connect to host h2 port 22: Connection refused)',
    );
    // Without a presumption the reachable hosts agree; with the release h2 ran when the deploy began, it is split.
    expect(fleetLine(env, states)[0]).toBe(`The reachable hosts are all on ${C} (h2: unreachable, unknown).`);
    const lines = fleetLine(env, states, undefined, new Map([['h2', B]]));
    expect(lines[0]).toMatch(`The fleet is SPLIT across 2 releases: ${C} on h1; ${B} on h2 (h2: unreachable, presumed`);
    expect(lines[1]).toMatch(/npm run deploy -- fleet:h1 rollback/);
  });

  it('when --to names a release by its commit, then each host finds its kept release, or says it has none', () => {
    const s = state(0, C, []);
    expect(findRelease(s, 'bbbbbbb')).toBe(B);
    expect(findRelease(s, A)).toBe(A);
    expect(findRelease(s, 'ddddddd')).toEqual({ error: 'h1 keeps no release ddddddd' });
  });
});

describe('a host lost during its own switch', () => {
  let dir: string;
  const path0 = process.env.PATH;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-deploy-lost-'));
    // An ssh that reaches the host for its status, then loses it: every later step fails as ssh does (255).
    writeFileSync(
      path.join(dir, 'ssh'),
      [
        '#!/bin/sh',
        'case "$*" in',
        `  *" bash -s -- status "*) cat >/dev/null; echo '{"current":"20261202T100000Z-bbbbbbbbbbbb","releases":[],"lock":null,"records":[],"health":{}}' ;;`,
        '  *) cat >/dev/null; echo "client_loop: send disconnect: Broken pipe" >&2; exit 255 ;;',
        'esac',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    process.env.PATH = `${dir}:${path0 ?? ''}`;
  });
  afterAll(() => {
    process.env.PATH = path0;
    rmSync(dir, { recursive: true, force: true });
  });

  it('when the connection is lost while switching and going back, then the host is "unknown", never said to have gone back', async () => {
    const settings = environmentSettings({ fleet: { hosts: ['h1', 'h2'] } }, 'fleet', 'envs.ts');
    const lines: string[] = [];
    const outcome = await rollOut(
      environment('fleet', settings),
      'deploy',
      () => '20261203T100000Z-cccccccccccc',
      'c'.repeat(40),
      new Progress((l) => lines.push(l)),
    );
    expect(outcome.ok).toBe(false);
    expect(outcome.hosts.map((h) => h.outcome)).toEqual(['unknown', 'not_switched']);
    expect(outcome.reason).toMatch(/^switch and restart failed on h1 \(exit 255\): client_loop/);
    expect(outcome.reason).toContain('which release it runs is NOT known');
    expect(outcome.reason).not.toMatch(/went back to/);
  }, 20_000);
});
