import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { freshRedisPrefix } from '../helpers/db';
import { createHost, destroyHost, fleetUnavailable, type TestHost } from '../helpers/fleet';
import { ROOT } from '../helpers/process';
import { dropKeys, rawRedis } from '../helpers/redis';
import { waitFor, within } from '../helpers/wait';

/**
 * `npm run deploy` end to end: two test hosts (network namespaces with their
 * own addresses, sshd and deploy root; test/helpers/fleet.ts) reached over
 * real ssh and rsync, running real releases built from commits of a clone of
 * this repository, against this machine's MariaDB and Redis.
 */
const unavailable = fleetUnavailable();
if (unavailable) process.stdout.write(`deploy-fleet.test.ts skipped: ${unavailable}\n`);
const describeFleet = unavailable ? describe.skip : describe;

// Builds, installs and restarts on a machine shared with other work: bounds against hanging, not speed.
jest.setTimeout(600_000);

const CLI = path.join(ROOT, 'deploy', 'cli.ts');
const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cjs', 'index.cjs');
const DRAIN_MS = 1000;
const C_FAULT = 'a fault the fleet test put in it';

interface Run {
  code: number | null;
  out: string;
}

let dir: string;
let repo: string;
let deployTo: string;
let settingsFile: string;
let database: string;
const prefix = freshRedisPrefix();
const hosts: TestHost[] = [];
const commits: Record<'A' | 'B' | 'C', string> = { A: '', B: '', C: '' };

function git(...args: string[]): string {
  return execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();
}

/** Starts `npm run deploy -- ARGS` (the CLI through tsx, as the npm script runs it) from the clone. */
function startCli(args: string[]): { child: ChildProcess; done: Promise<Run>; output: () => string } {
  const child = spawn(process.execPath, ['-r', TSX, CLI, ...args, '--settings', settingsFile], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => {
    out += c.toString('utf8');
    // FLEET_DEBUG=FILE follows the commands' output while the test runs (jest prints it only at the end).
    if (process.env.FLEET_DEBUG) appendFileSync(process.env.FLEET_DEBUG, c);
  });
  child.stderr?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const done = new Promise<Run>((resolve) => child.once('close', (code) => resolve({ code, out })));
  return { child, done, output: () => out };
}

async function cli(...args: string[]): Promise<Run> {
  const started = startCli(args);
  const run = await within(started.done, 400_000, `npm run deploy -- ${args.join(' ')}`).catch((err: unknown) => {
    started.child.kill('SIGKILL');
    throw err;
  });
  process.stdout.write(`$ npm run deploy -- ${args.join(' ')}   (exit ${run.code})\n${run.out}\n`);
  return run;
}

/** One GET over a fresh connection (so a closed keep-alive socket never counts as a failure). */
function get(url: string): Promise<{ status: number | string; body: string }> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ status: err.code ?? err.message, body: '' }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: err.code ?? err.message, body: '' }));
  });
}

async function releaseOf(host: TestHost): Promise<string | undefined> {
  const res = await get(`http://${host.address}:8000/health`);
  if (res.status !== 200) return undefined;
  return (JSON.parse(res.body) as { data: { release: string } }).data.release;
}

function records(host: TestHost): { action: string; release: string; outcome: string; reason?: string }[] {
  const file = path.join(host.root, 'deploys.log');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { action: string; release: string; outcome: string });
}

interface HostLoad {
  pings: number;
  /** Each /ping that got no 200: its status or error, and when. */
  failed: string[];
  /** /health answers 503 (a draining old worker). */
  health503: number;
  downSince?: number;
  longestDownMs: number;
}

interface Load {
  rounds: number;
  roundsWithNoAnswer: number;
  hosts: HostLoad[];
  names: string[];
}

/** Polls each host's /ping and /health every 50 ms until `done` settles (at most 5 minutes). */
async function pollDuring(targets: TestHost[], done: Promise<unknown>): Promise<Load> {
  let finished = false;
  void done.then(() => (finished = true));
  const load: Load = {
    rounds: 0,
    roundsWithNoAnswer: 0,
    hosts: targets.map(() => ({ pings: 0, failed: [], health503: 0, longestDownMs: 0 })),
    names: targets.map((t) => t.name),
  };
  const started = Date.now();
  while (!finished && load.rounds < 6000) {
    const at = Date.now();
    const answers = await Promise.all(
      targets.map(async (host, i) => {
        const s = load.hosts[i] as HostLoad;
        const [ping, health] = await Promise.all([
          get(`http://${host.address}:8000/ping`),
          get(`http://${host.address}:8000/health`),
        ]);
        s.pings += 1;
        if (ping.status !== 200) {
          s.failed.push(`${String(ping.status)} at ${at - started} ms`);
          s.downSince ??= at;
        } else if (s.downSince !== undefined) {
          s.longestDownMs = Math.max(s.longestDownMs, at - s.downSince);
          s.downSince = undefined;
        }
        if (health.status === 503) s.health503 += 1;
        return ping.status === 200;
      }),
    );
    if (!answers.some(Boolean)) load.roundsWithNoAnswer += 1;
    load.rounds += 1;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 50 - (Date.now() - at))));
  }
  // A host still down at the end counts until then.
  for (const s of load.hosts)
    if (s.downSince !== undefined) s.longestDownMs = Math.max(s.longestDownMs, Date.now() - s.downSince);
  return load;
}

/** The figures of a deploy under load, in the test's output. */
function say(what: string, load: Load): void {
  process.stdout.write(
    `${what}: ${load.rounds} rounds of 50 ms; rounds with no host answering: ${load.roundsWithNoAnswer}\n` +
      load.hosts
        .map(
          (s, i) =>
            `  ${load.names[i]}: ${s.pings} /ping, ${s.failed.length} failed${s.failed.length ? ` (${s.failed.slice(0, 5).join(', ')})` : ''}, ` +
            `/health 503 (old workers draining) ${s.health503} times, longest single-host outage ${s.longestDownMs} ms\n`,
        )
        .join(''),
  );
}

const serverPid = (host: TestHost): string => readFileSync(path.join(host.root, 'shared', 'server.pid'), 'utf8').trim();
const currentOf = (host: TestHost): string =>
  path.basename(execFileSync('readlink', [path.join(host.root, 'current')], { encoding: 'utf8' }).trim());

function hostConfig(host: TestHost): string {
  return `import type { ConfigInput } from './current/src/core/config';

// Written by the fleet deploy test for ${host.name}.
const config: ConfigInput = {
  env: 'test',
  http: { host: '0.0.0.0', port: 8000 },
  thrift: { host: '0.0.0.0', port: 9090 },
  mysql: { host: '${host.gateway}', port: 3306, database: '${database}' },
  redis: { url: 'redis://${host.gateway}:6379/0', key_prefix: '${prefix}' },
  statsd: { enabled: false },
  log: { level: 'info', access: false },
  // Two workers, as production runs: a reload replaces both while the primary keeps the ports.
  server: { workers: 2, drain_delay_ms: ${DRAIN_MS}, shutdown_timeout_ms: 5000, scheduler: false },
};

export default config;
`;
}

describeFleet('npm run deploy to two hosts over ssh', () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'tandem-fleet-'));
    deployTo = path.join(dir, 'deploy-root');
    database = `tandem_fleet_${prefix.replace(/[^a-z0-9]/g, '').slice(-10)}`;
    const key = path.join(dir, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const publicKey = readFileSync(`${key}.pub`, 'utf8');
    hosts.push(await createHost('tandem-fleet-1', 1, dir, deployTo, publicKey));
    hosts.push(await createHost('tandem-fleet-2', 2, dir, deployTo, publicKey));
    const [h1, h2] = hosts as [TestHost, TestHost];

    // The first host by an alias of an ssh config file, the second as user@address:port.
    const sshConfig = path.join(dir, 'ssh_config');
    writeFileSync(
      sshConfig,
      [
        'Host fleet-one',
        `  HostName ${h1.address}`,
        'Host *',
        '  User root',
        `  IdentityFile ${key}`,
        '  IdentitiesOnly yes',
        '  StrictHostKeyChecking no',
        '  UserKnownHostsFile /dev/null',
        '  LogLevel ERROR',
        '  ConnectTimeout 10',
        '',
      ].join('\n'),
    );
    settingsFile = path.join(dir, 'environments.js');
    writeFileSync(
      settingsFile,
      `module.exports = ${JSON.stringify(
        {
          fleet: {
            hosts: ['fleet-one', `root@${h2.address}:22`],
            deploy_to: deployTo,
            ssh_config: sshConfig,
            env: 'test',
            health_url: 'http://127.0.0.1:8000/health',
            health_timeout_ms: 20000,
            restart_command: 'bash current/deploy/service.sh restart server',
            // service.sh sends log lines to server.log and what precedes the logger (a start that throws) to server.out.
            log_command: 'tail -n 30 shared/log/server.out shared/log/server.log',
            // The hosts reach no registry: npm ci installs from this machine's cache.
            npm_cache: path.join(os.homedir(), '.npm'),
            npm_flags: ['--offline'],
            keep_releases: 3,
          },
        },
        null,
        2,
      )};\n`,
    );

    // Releases A, B and C are commits of a clone; C cannot start.
    repo = path.join(dir, 'repo');
    execFileSync('git', ['clone', '-q', '--shared', ROOT, repo]);
    git('config', 'user.email', 'fleet-test@localhost');
    git('config', 'user.name', 'fleet test');
    // The build tools of this checkout (same lock: a clone of HEAD).
    execFileSync('ln', ['-s', path.join(ROOT, 'node_modules'), path.join(repo, 'node_modules')]);
    writeFileSync(path.join(repo, '.git', 'info', 'exclude'), 'node_modules\n');
    commits.A = git('rev-parse', 'HEAD');
    writeFileSync(path.join(repo, 'RELEASE-NOTE.md'), 'Release B of the fleet test.\n');
    git('add', 'RELEASE-NOTE.md');
    git('commit', '-q', '-m', 'B');
    commits.B = git('rev-parse', 'HEAD');
    // C's server throws at start. (A C whose configuration the hosts lack would not get this far: the
    // migrate step reads the configuration too, and stops the deploy before any host switches.)
    const mainFile = path.join(repo, 'src', 'main.ts');
    const main = readFileSync(mainFile, 'utf8');
    const anchor = 'serve(loadConfigOrExit(), appModules())';
    if (!main.includes(anchor)) throw new Error('src/main.ts no longer looks as this test expects');
    writeFileSync(
      mainFile,
      main.replace(anchor, `Promise.reject(new Error('release C cannot start: ${C_FAULT}')).then(() => ${anchor})`),
    );
    git('commit', '-q', '-am', 'C');
    commits.C = git('rev-parse', 'HEAD');

    // The hosts reach no registry: their npm ci runs --offline from this machine's cache, which this fills
    // with whatever the lock names and it lacks (from the registry, here, where there is one).
    const warm = path.join(dir, 'npm-warm');
    execFileSync('mkdir', ['-p', warm]);
    for (const file of ['package.json', 'package-lock.json']) {
      writeFileSync(path.join(warm, file), execFileSync('git', ['-C', repo, 'show', `${commits.A}:${file}`]));
    }
    execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: warm,
      stdio: 'ignore',
    });
  }, 300_000);

  afterAll(async () => {
    for (const host of hosts) await destroyHost(host);
    if (database) {
      const conn = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root' });
      await conn.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await conn.end();
    }
    const redis = rawRedis();
    await dropKeys(redis, prefix);
    redis.disconnect();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const release = (which: 'A' | 'B' | 'C'): RegExp => new RegExp(`^\\d{8}T\\d{6}Z-${commits[which].slice(0, 12)}$`);

  it('when the hosts are set up, then each has its directories and a config.ts written from config.example.ts', async () => {
    const run = await cli('fleet', 'setup', '--no-units');
    expect(run.code).toBe(0);
    for (const host of hosts) {
      const written = readFileSync(path.join(host.root, 'shared', 'config.ts'), 'utf8');
      expect(written).toMatch(/^const env = 'test' as Env;$/m);
      expect(run.out).toContain(
        `[${host === hosts[0] ? 'fleet-one' : `root@${host.address}:22`}] shared/config.ts: ok`,
      );
      // The test's own settings for this host: its addresses, the test database, a short drain.
      writeFileSync(path.join(host.root, 'shared', 'config.ts'), hostConfig(host));
    }
  });

  it('when release A is deployed, then both hosts serve A, each with a record of it', async () => {
    git('checkout', '-q', commits.A);
    const run = await cli('fleet');
    expect(run.code).toBe(0);
    for (const host of hosts) {
      expect(await releaseOf(host)).toMatch(release('A'));
      expect(records(host)).toEqual([expect.objectContaining({ action: 'deploy', outcome: 'ok' })]);
    }
    // Per host and step, with timings.
    expect(run.out).toMatch(/\[fleet-one\] health of \S+: ok \(\d+\.\d s\) \(HTTP 200/);
    expect(run.out).toMatch(/\[fleet-one\] migrate: ok/);
  });

  it('when release B is deployed under a client polling both hosts every 50 ms, then no request to either host fails: each restarts without a gap', async () => {
    git('checkout', '-q', commits.B);
    const deploy = startCli(['fleet']);
    const stats = await pollDuring(hosts, deploy.done);
    const run = await deploy.done;
    process.stdout.write(`$ npm run deploy -- fleet   (release B, exit ${run.code})\n${run.out}\n`);
    say('rolling deploy of B to two hosts under load', stats);

    expect(run.code).toBe(0);
    expect(stats.roundsWithNoAnswer).toBe(0);
    for (const s of stats.hosts) {
      // Zero gap: the new release's workers served before the old ones drained, and the ports never closed.
      expect(s.failed).toEqual([]);
      expect(s.longestDownMs).toBe(0);
    }
    // Each host's primary reloaded (the same process): both new workers served before the old ones drained.
    for (const name of ['fleet-one', `root@${hosts[1]?.address}:22`]) {
      expect(run.out).toMatch(
        new RegExp(
          `\\[${name.replace(/[.[\]]/g, '\\$&')}\\] switch to \\S+ and restart: ok .*\\(reloaded server \\(pid \\d+\\): \\S+: 2 worker\\(s\\) serving after \\d+ ms; 2 old one\\(s\\) draining\\)`,
        ),
      );
    }
    for (const host of hosts) expect(await releaseOf(host)).toMatch(release('B'));
  });

  it('when release C cannot start, then the first host keeps serving B throughout, the second is not touched, and the exit names the host', async () => {
    const [h1, h2] = hosts as [TestHost, TestHost];
    const firstPid = serverPid(h1);
    const secondPid = serverPid(h2);
    const secondRecords = records(h2).length;
    git('checkout', '-q', commits.C);
    const deploy = startCli(['fleet']);
    const load = await pollDuring([h1], deploy.done);
    const run = await deploy.done;
    process.stdout.write(`$ npm run deploy -- fleet   (release C, exit ${run.code})\n${run.out}\n`);
    say('deploy of C, which cannot start, to the first host under load', load);

    expect(run.code).toBe(1);
    // Its new workers died before they served: the reload fails at once, and B's workers never stopped.
    expect(run.out).toMatch(
      /FAILED on fleet-one: switch and restart failed on fleet-one \(exit 1\): the server's reload failed/,
    );
    expect(run.out).toContain('a worker exited before it served (exit 1)');
    expect(load.hosts[0]?.failed).toEqual([]);
    expect(serverPid(h1)).toBe(firstPid);
    // The tail of its log says why.
    expect(run.out).toContain(`release C cannot start: ${C_FAULT}`);
    expect(run.out).toMatch(/went back to \S+ and is healthy on it again/);
    expect(await releaseOf(h1)).toMatch(release('B'));
    expect(currentOf(h1)).toMatch(release('B'));
    expect(records(h1).pop()).toMatchObject({ action: 'deploy', outcome: 'rolled_back' });
    // The second host: same process, same release, and a record saying the deploy did not switch it.
    expect(await releaseOf(h2)).toMatch(release('B'));
    expect(serverPid(h2)).toBe(secondPid);
    expect(records(h2)).toHaveLength(secondRecords + 1);
    const last = records(h2).pop();
    expect(last).toMatchObject({ action: 'deploy', outcome: 'not_switched' });
    expect(last?.release).toMatch(release('C'));

    const status = await cli('fleet', 'status');
    expect(status.code).toBe(0);
    const currents = [...status.out.matchAll(/^ {2}release: +(\S+)/gm)].map((m) => m[1]);
    expect(currents).toHaveLength(2);
    for (const current of currents) expect(current).toMatch(release('B'));
    expect(status.out.match(/HTTP 200, ok, serving \S+/g)).toHaveLength(2);
    // The last deploy (C) as each host saw it, and the fleet on one release.
    expect(status.out).toMatch(/last deploy: \S+: rolled back \(/);
    expect(status.out).toMatch(/last deploy: \S+: not switched \(the deploy stopped at fleet-one\)/);
    expect(status.out).toMatch(/The reachable hosts are all on \S+\.$/m);
  });

  it('when a rollback --to A runs, then a deploy started meanwhile is refused naming the holder, and the rollback returns both hosts to A', async () => {
    git('checkout', '-q', commits.B);
    // The last deploy (C) switched no host for good: a plain rollback has nothing to undo, and says so.
    const nothing = await cli('fleet', 'rollback', '--dry-run');
    expect(nothing.code).toBe(0);
    expect(nothing.out).toMatch(/Nothing to do: no host runs \S+ from it any more/);
    const rollback = startCli(['fleet', 'rollback', '--to', commits.A.slice(0, 9)]);
    const lockOwner = path.join(hosts[0]?.root as string, '.deploy.lock', 'owner');
    await waitFor(() => (existsSync(lockOwner) ? true : undefined), 60000, 'the rollback taking the lock');
    const second = await cli('fleet');
    const first = await within(rollback.done, 300_000, 'the rollback');
    process.stdout.write(`$ npm run deploy -- fleet rollback   (exit ${first.code})\n${first.out}\n`);

    expect(second.code).toBe(75);
    expect(second.out).toMatch(/Another deploy holds the lock of fleet-one: \S+@\S+ pid \d+ since \S+ \(rollback /);
    expect(first.code).toBe(0);
    for (const host of hosts) {
      expect(await releaseOf(host)).toMatch(release('A'));
      expect(records(host).pop()).toMatchObject({ action: 'rollback', outcome: 'ok' });
    }
  });

  it('when a deploy died holding the lock, then status names the holder and unlock removes it', async () => {
    const [h1] = hosts as [TestHost];
    // What a killed deploy leaves: the lock directory with its owner line.
    execFileSync('mkdir', [path.join(h1.root, '.deploy.lock')]);
    writeFileSync(
      path.join(h1.root, '.deploy.lock', 'owner'),
      'ana@laptop pid 4242 since 2026-01-01T00:00:00Z (deploy X)\n',
    );
    const locked = await cli('fleet', 'status');
    expect(locked.out).toContain('LOCKED by ana@laptop pid 4242');
    // The lock comes before the build: the deploy is refused at once.
    const refused = await cli('fleet');
    expect(refused.code).toBe(75);
    expect(refused.out).toContain('Another deploy holds the lock of fleet-one: ana@laptop pid 4242');

    const unlocked = await cli('fleet', 'unlock');
    expect(unlocked.code).toBe(0);
    expect(existsSync(path.join(h1.root, '.deploy.lock'))).toBe(false);
    expect((await cli('fleet', 'status')).out).not.toContain('LOCKED');
  });
  it('when host strings hold shell words, spaces or ssh options, then every command exits 2 naming them and nothing runs', async () => {
    const marker = path.join(dir, 'pwned');
    const bad = [
      [`fleet:fleet-one;touch ${marker}`],
      [`fleet:fleet-one;touch ${marker}`, '--dry-run'],
      [`fleet:fleet-one;touch ${marker}`, 'status'],
      [`fleet:fleet-one,-oProxyCommand=touch ${marker}`, 'rollback', '--dry-run'],
      [`fleet:-oProxyCommand=touch ${marker}`, 'unlock'],
      ['fleet:fleet one', 'setup', '--dry-run'],
      [`fleet:$(touch ${marker})`, 'status'],
    ];
    for (const args of bad) {
      const run = await cli(...args);
      expect(run.code).toBe(2);
      expect(run.out).toMatch(/^"[^"]+" is not a host\. Write host, user@host/m);
    }
    expect(existsSync(marker)).toBe(false);
    // No lock was taken on a real host either.
    expect(existsSync(path.join(hosts[0]?.root as string, '.deploy.lock'))).toBe(false);
  });

  it('when the second host is lost in the middle of a rollout, then the summary says the fleet is split, and the rollback it prints undoes the deploy on the first host only', async () => {
    const [h1, h2] = hosts as [TestHost, TestHost];
    const h2Name = `root@${h2.address}:22`;
    const before = currentOf(h2);
    expect(currentOf(h1)).toBe(before);
    git('checkout', '-q', commits.B);
    const deploy = startCli(['fleet']);
    // The second host's sshd goes away once the first host's switch begins (both have the release by then).
    const lost = waitFor(
      () => (/\[fleet-one\] switch to /.test(deploy.output()) ? true : undefined),
      300_000,
      'the first host starting its switch',
    ).then(() => h2.sshd.kill('SIGKILL'));
    const load = await pollDuring([h1, h2], deploy.done);
    await lost;
    const run = await deploy.done;
    process.stdout.write(`$ npm run deploy -- fleet   (B again, second host lost, exit ${run.code})\n${run.out}\n`);
    say('deploy with the second host lost mid-rollout, under load', load);

    expect(run.code).toBe(1);
    expect(run.out).toContain(`FAILED on ${h2Name}: ${h2Name} could not be reached before its switch`);
    expect(run.out).toMatch(new RegExp(`^ {2}fleet-one: (\\S+); switched to \\1 by this deploy$`, 'm'));
    const second = run.out.split('\n').find((l) => l.startsWith(`  ${h2Name}: `)) ?? '';
    expect(second).toMatch(/: unknown \(unreachable: exit 255: .*\); NOT switched: /);
    expect(second).toContain(`it ran ${before} when this deploy began`);
    expect(run.out).not.toMatch(/no earlier release|: none/);
    expect(run.out).toMatch(/^The fleet is SPLIT across 2 releases: /m);
    const reunite = /npm run deploy -- (\S+) rollback/.exec(run.out);
    expect(reunite?.[1]).toBe('fleet:fleet-one');
    // The second host kept serving its release, untouched, and the first served through its own switch.
    expect(currentOf(h2)).toBe(before);
    expect(await releaseOf(h2)).toBe(before);
    expect(load.hosts.map((s) => s.failed)).toEqual([[], []]);

    // The whole fleet cannot be rolled back while a host is unreadable; the command names the way.
    const whole = await cli('fleet', 'rollback', '--dry-run');
    expect(whole.code).toBe(1);
    expect(whole.out).toContain('To roll back the others alone: npm run deploy -- fleet:fleet-one rollback');

    // The printed command, run as printed, under load: the first host alone goes back to where the second is.
    const rollback = startCli([reunite?.[1] as string, 'rollback']);
    const oneHost = await pollDuring([h1], rollback.done);
    const undone = await rollback.done;
    process.stdout.write(`$ npm run deploy -- fleet:fleet-one rollback   (exit ${undone.code})\n${undone.out}\n`);
    say('rollback of one host under load', oneHost);
    expect(undone.code).toBe(0);
    expect(undone.out).toMatch(/^ {2}fleet-one: \S+ -> \S+ \(switched by the deploy\)$/m);
    expect(currentOf(h1)).toBe(before);
    expect(await releaseOf(h1)).toBe(before);
    expect(records(h1).pop()).toMatchObject({ action: 'rollback', outcome: 'ok', release: before });
    expect(oneHost.hosts[0]?.failed).toEqual([]);
    expect(currentOf(h2)).toBe(before);
  });
});
