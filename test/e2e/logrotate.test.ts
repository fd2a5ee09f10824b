import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freshRedisPrefix } from '../helpers/db';
import { countLines, driveLoad, readLogFiles, waitForLines } from '../helpers/log-files';
import { ROOT, spawnServer, type ServerProcess } from '../helpers/process';
import { dropKeys, rawRedis } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

/**
 * The real logrotate with deploy/logrotate/tandem, as a host runs it, over a
 * deploy_to of its own (current -> this checkout, shared/log, shared/server.pid
 * as service.sh writes it): `logrotate -f` three times while a cluster
 * server (a primary and two workers, as production runs) serves a steady
 * load. Its postrotate is service.sh reopen-logs.
 */

jest.setTimeout(300_000);

const run = promisify(execFile);
const REQUESTS = 3000;
const ROTATIONS = 3;
const logrotate = ['/usr/sbin/logrotate', '/sbin/logrotate'].find((p) => fs.existsSync(p));
const redis = rawRedis();
const prefix = freshRedisPrefix();
let dir = '';
let server: ServerProcess | undefined;

afterAll(async () => {
  if (server && server.child.exitCode === null && server.child.signalCode === null) {
    server.child.kill('SIGKILL');
    await server.exited;
  }
  await dropKeys(redis, prefix);
  redis.disconnect();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** deploy/logrotate/tandem filled in for this deploy_to and this user, as the install line in it says. */
function installConfig(deployTo: string): string {
  const user = os.userInfo().username;
  const group = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();
  const text = fs
    .readFileSync(path.join(ROOT, 'deploy/logrotate/tandem'), 'utf8')
    .replaceAll('@DEPLOY_TO@', deployTo)
    .replaceAll('@USER@', user)
    .replaceAll('@GROUP@', group);
  const file = path.join(deployTo, 'logrotate.conf');
  // logrotate ignores a configuration others may write.
  fs.writeFileSync(file, text, { mode: 0o644 });
  return file;
}

// deploy/local-services.sh installs logrotate on Debian (make develop); elsewhere this says why it does not run.
const itWithLogrotate = logrotate ? it : it.skip;
if (!logrotate) process.stdout.write('logrotate is not installed (apt-get install logrotate): logrotate.test skips.\n');

itWithLogrotate(
  'when logrotate -f runs 3 times with deploy/logrotate/tandem while a cluster server is under load, then no line is lost or doubled and no request fails',
  async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-logrotate-'));
    const logDir = path.join(dir, 'shared', 'log');
    fs.mkdirSync(logDir, { recursive: true });
    fs.symlinkSync(ROOT, path.join(dir, 'current'));
    const conf = installConfig(dir);
    const state = path.join(dir, 'logrotate.state');
    // What the process writes outside its logger, as service.sh sends it to shared/log/server.out.
    fs.writeFileSync(path.join(logDir, 'server.out'), 'a line written to standard output\n');
    server = spawnServer('src/main.ts', {
      TANDEM_LOG_FILE: path.join(logDir, 'server.log'),
      TANDEM_LOG_ACCESS: 'true',
      TANDEM_SERVER_WORKERS: '2',
      TANDEM_REDIS_KEY_PREFIX: prefix,
    });
    const started = server;
    fs.writeFileSync(path.join(dir, 'shared', 'server.pid'), `${started.child.pid}\n`);
    const [serving] = await waitForLines(logDir, 'server.log', 'tandem is serving', 2, 150_000);
    const port = Number(String(serving?.http).split(':').pop());

    const ids = new Set<string>();
    const outputs: string[] = [];
    const failures = await driveLoad({
      total: REQUESTS,
      concurrency: 16,
      times: ROTATIONS,
      send: async (i) => {
        const id = `logrotate-${i}`;
        ids.add(id);
        const res = await fetch(`http://127.0.0.1:${port}/ping`, { headers: { 'X-Request-Id': id } });
        await res.text();
        if (res.status !== 200) throw new Error(`status ${res.status}`);
      },
      between: async () => {
        const out = await run(logrotate as string, ['-f', '-s', state, conf], { env: process.env });
        outputs.push(out.stdout + out.stderr);
      },
    });
    await waitForLines(logDir, 'server.log', 'log file reopened', ROTATIONS * 3);
    const counted = await waitFor(
      () => {
        const c = countLines(logDir, 'server.log', 'http access', ids);
        return c.found === ids.size ? c : undefined;
      },
      10_000,
      'every access line',
    ).catch(() => countLines(logDir, 'server.log', 'http access', ids));
    const files = fs.readdirSync(logDir).sort();
    started.child.kill('SIGTERM');
    const exit = await started.exited;
    process.stdout.write(
      `logrotate -f: ${JSON.stringify({ requests: REQUESTS, rotations: ROTATIONS, failed: failures.length, ...counted, files })}\n`,
    );

    expect(outputs.join('')).toBe('');
    expect(failures).toEqual([]);
    expect(counted).toMatchObject({ lost: 0, doubled: 0, unparsed: 0 });
    // Rotated under load: every file holds access lines; delaycompress left only the newest rotated one plain.
    expect(Object.keys(counted.perFile)).toEqual(['server.log', 'server.log.1', 'server.log.2.gz', 'server.log.3.gz']);
    // The primary and both workers reopened on each rotation; nothing restarted.
    const messages = readLogFiles(logDir, 'server.log').map((l) => l.entry);
    expect(messages.filter((e) => String(e.message).startsWith('a worker exited'))).toEqual([]);
    // The standard output file was copied and truncated in place.
    expect(files).toEqual(expect.arrayContaining(['server.out', 'server.out.1']));
    expect(fs.readFileSync(path.join(logDir, 'server.out'), 'utf8')).toBe('');
    expect(exit).toEqual({ code: 0, signal: null });
  },
);
