import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queues } from '../../src/core/async';
import { newContext, runWithContext } from '../../src/core/ctx';
import { SCHEDULED_JOBS } from '../../scheduler/queue';
import { testConfig } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { countLines, driveLoad, readLogFiles, rotateByHand, waitForLines } from '../helpers/log-files';
import { ROOT, spawnServer, type ServerProcess } from '../helpers/process';
import { dropKeys, rawRedis } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

/**
 * Log rotation as logrotate does it (rename the file, then SIGHUP) while
 * the process is under steady load, in each layout the service runs: one
 * server process, a cluster primary with two workers (the primary passes
 * the SIGHUP on over IPC), and the Bull worker. Every line written must be
 * in exactly one file, and no request may fail.
 */

// Child processes start slowly on a loaded machine: the waits are bounds against hanging, not speed assertions.
jest.setTimeout(400_000);

const REQUESTS = 3000;
const JOBS = 1200;
const ROTATIONS = 5;
const redis = rawRedis();
const prefixes: string[] = [];
const spawned: ServerProcess[] = [];
const dirs: string[] = [];
const drops: (() => Promise<void>)[] = [];

function logDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-logrot-'));
  dirs.push(dir);
  return dir;
}

function start(entry: string, dir: string, env: Record<string, string>, args: string[] = []): ServerProcess {
  const prefix = freshRedisPrefix();
  prefixes.push(prefix);
  const child = spawnServer(
    entry,
    {
      TANDEM_LOG_FILE: path.join(dir, 'tandem.log'),
      TANDEM_LOG_ACCESS: 'true',
      TANDEM_REDIS_KEY_PREFIX: prefix,
      ...env,
    },
    { args },
  );
  spawned.push(child);
  return child;
}

afterAll(async () => {
  for (const p of spawned) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  }
  for (const prefix of prefixes) await dropKeys(redis, prefix);
  redis.disconnect();
  for (const drop of drops) await drop();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function report(layout: string, figures: object): void {
  process.stdout.write(`log rotation, ${layout}: ${JSON.stringify(figures)}\n`);
}

/** Serves REQUESTS pings with ids of their own while the log is rotated ROTATIONS times; counts their access lines. */
async function rotateUnderHttpLoad(layout: string, server: ServerProcess, dir: string, processes: number) {
  const [serving] = await waitForLines(dir, 'tandem.log', 'tandem is serving', processes, 150_000);
  const port = Number(String(serving?.http).split(':').pop());
  const ids = new Set<string>();
  const failures = await driveLoad({
    total: REQUESTS,
    concurrency: 16,
    times: ROTATIONS,
    send: async (i) => {
      const id = `rot-${layout}-${i}`;
      ids.add(id);
      const res = await fetch(`http://127.0.0.1:${port}/ping`, { headers: { 'X-Request-Id': id } });
      await res.text();
      if (res.status !== 200) throw new Error(`status ${res.status}`);
    },
    between: (k) => rotateByHand(dir, 'tandem.log', k, server.child.pid as number),
  });
  // Each process reopens once per rotation (the workers once the primary's message reaches them).
  await waitForLines(dir, 'tandem.log', 'log file reopened', ROTATIONS * processes);
  const counted = await waitFor(
    () => {
      const c = countLines(dir, 'tandem.log', 'http access', ids);
      return c.found === ids.size ? c : undefined;
    },
    10_000,
    'every access line',
  ).catch(() => countLines(dir, 'tandem.log', 'http access', ids));
  server.child.kill('SIGTERM');
  const exit = await server.exited;
  return { counted, failures, exit };
}

it('when one server process is rotated 5 times under load, then no access line is lost or doubled and no request fails', async () => {
  const dir = logDir();
  const server = start('src/main.ts', dir, {});

  const { counted, failures, exit } = await rotateUnderHttpLoad('single', server, dir, 1);
  report('one process', { requests: REQUESTS, rotations: ROTATIONS, failed: failures.length, ...counted });

  expect(failures).toEqual([]);
  expect(counted).toMatchObject({ lost: 0, doubled: 0, unparsed: 0 });
  // The rotations happened under load: the first file and each rotated one hold access lines.
  expect(Object.keys(counted.perFile)).toHaveLength(ROTATIONS + 1);
  expect(exit).toEqual({ code: 0, signal: null });
});

it('when a cluster primary with two workers is rotated 5 times under load, then it passes SIGHUP on, nothing is lost or doubled and no worker restarts', async () => {
  const dir = logDir();
  const server = start('src/main.ts', dir, { TANDEM_SERVER_WORKERS: '2' });

  const { counted, failures, exit } = await rotateUnderHttpLoad('cluster', server, dir, 2);
  report('cluster, 2 workers', { requests: REQUESTS, rotations: ROTATIONS, failed: failures.length, ...counted });

  expect(failures).toEqual([]);
  expect(counted).toMatchObject({ lost: 0, doubled: 0, unparsed: 0 });
  expect(Object.keys(counted.perFile)).toHaveLength(ROTATIONS + 1);
  const messages = readLogFiles(dir, 'tandem.log').map((l) => l.entry);
  // The primary logs to the file too, and reopened it each time, beside its two workers.
  expect(messages.filter((e) => e.message === 'log file reopened' && e.reason === 'SIGHUP')).toHaveLength(ROTATIONS);
  expect(messages.filter((e) => e.message === 'log file reopened' && e.reason !== 'SIGHUP')).toHaveLength(
    ROTATIONS * 2,
  );
  expect(messages.some((e) => e.message === 'starting workers')).toBe(true);
  expect(messages.filter((e) => String(e.message).startsWith('a worker exited'))).toEqual([]);
  expect(exit).toEqual({ code: 0, signal: null });
});

it('when the reloadable primary of a deployed host is rotated 5 times under load, then its workers reopen too and nothing is lost or doubled', async () => {
  const dir = logDir();
  // A deploy_to whose current release runs this checkout's server (through tsx) as dist/src/main.js.
  const release = path.join(dir, 'releases', 'r1');
  fs.mkdirSync(path.join(release, 'dist', 'src'), { recursive: true });
  fs.writeFileSync(
    path.join(release, 'dist', 'src', 'main.js'),
    `require(${JSON.stringify(path.join(ROOT, 'node_modules/tsx/dist/cjs/index.cjs'))});\n` +
      `require(${JSON.stringify(path.join(ROOT, 'src/main.ts'))});\n`,
  );
  fs.symlinkSync(release, path.join(dir, 'current'));
  fs.mkdirSync(path.join(dir, 'shared'));
  const server = start('src/primary.ts', dir, { TANDEM_SERVER_WORKERS: '2' }, [dir, path.join(dir, 'shared')]);

  const { counted, failures, exit } = await rotateUnderHttpLoad('reloadable', server, dir, 2);
  report('reloadable primary, 2 workers', {
    requests: REQUESTS,
    rotations: ROTATIONS,
    failed: failures.length,
    ...counted,
  });

  expect(failures).toEqual([]);
  expect(counted).toMatchObject({ lost: 0, doubled: 0, unparsed: 0 });
  expect(Object.keys(counted.perFile)).toHaveLength(ROTATIONS + 1);
  const messages = readLogFiles(dir, 'tandem.log').map((l) => l.entry);
  expect(messages.some((e) => e.message === 'serving through a reloadable primary')).toBe(true);
  expect(messages.filter((e) => e.message === 'log file reopened' && e.reason !== 'SIGHUP')).toHaveLength(
    ROTATIONS * 2,
  );
  expect(messages.filter((e) => String(e.message).startsWith('a worker exited'))).toEqual([]);
  expect(exit).toEqual({ code: 0, signal: null });
});

it('when the Bull worker is rotated 5 times while it runs jobs, then each job line is in one file once and no job fails', async () => {
  const dir = logDir();
  const db = await freshDatabase();
  drops.push(db.drop);
  const worker = start('src/worker.ts', dir, { TANDEM_MYSQL_DATABASE: db.database, TANDEM_QUEUE_CONCURRENCY: '8' });
  const prefix = prefixes[prefixes.length - 1] as string;
  await waitForLines(dir, 'tandem.log', 'worker is running', 1, 150_000);

  // Timed-job ticks queued as the scheduler queues them, one after another while the worker runs them and the
  // log is rotated each time another sixth is done; each job line carries the id it was queued under.
  const queues = new Queues(testConfig({ redis: { key_prefix: prefix } }), [SCHEDULED_JOBS]);
  const ids = new Set<string>(Array.from({ length: JOBS }, (_, i) => `rot-worker-${i}`));
  const enqueued = (async () => {
    for (const id of ids) {
      await runWithContext(newContext('script', id), () =>
        queues.enqueue(SCHEDULED_JOBS, { name: 'cs.escalate_stale', scheduled_at: new Date().toISOString() }),
      );
    }
  })();
  try {
    for (let k = 1; k <= ROTATIONS; k += 1) {
      await waitFor(
        () => (countLines(dir, 'tandem.log', 'job done', ids).found >= (JOBS * k) / (ROTATIONS + 1) ? true : undefined),
        120_000,
        `${k}/${ROTATIONS + 1} of the jobs done`,
      );
      rotateByHand(dir, 'tandem.log', k, worker.child.pid as number);
    }
  } finally {
    await enqueued;
    await queues.close(1000);
  }
  const counted = await waitFor(
    () => {
      const c = countLines(dir, 'tandem.log', 'job done', ids);
      return c.found === ids.size ? c : undefined;
    },
    120_000,
    'every job done',
  ).catch(() => countLines(dir, 'tandem.log', 'job done', ids));
  const messages = readLogFiles(dir, 'tandem.log').map((l) => l.entry);
  const failed = messages.filter((e) => String(e.message).startsWith('job failed')).length;
  worker.child.kill('SIGTERM');
  const exit = await worker.exited;
  report('Bull worker', { jobs: JOBS, rotations: ROTATIONS, failed, ...counted });

  expect(failed).toBe(0);
  expect(counted).toMatchObject({ lost: 0, doubled: 0, unparsed: 0 });
  expect(Object.keys(counted.perFile)).toHaveLength(ROTATIONS + 1);
  expect(messages.filter((e) => e.message === 'log file reopened')).toHaveLength(ROTATIONS);
  expect(exit).toEqual({ code: 0, signal: null });
});
