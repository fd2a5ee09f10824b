import { execFileSync } from 'node:child_process';
import { freshRedisPrefix } from '../helpers/db';
import { spawnServer, type ServerProcess } from '../helpers/process';
import { dropKeys, rawRedis } from '../helpers/redis';
import { within } from '../helpers/wait';

// Child processes start slowly on a loaded machine: the waits are bounds against hanging, not speed assertions.
jest.setTimeout(120_000);

/**
 * A stop (SIGTERM) sent at each moment of a process's life: before its
 * handlers exist, while the primary forks, while a worker starts, when one
 * of two serves, when all serve; and the queue worker before, during and just
 * after its start. Each time, every process of the group is gone within
 * server.drain_delay_ms + server.shutdown_timeout_ms of the signal, having
 * stopped itself (exit 0), or, signalled before its handlers exist, ended by
 * the signal itself.
 */
const DRAIN_DELAY_MS = 300;
const SHUTDOWN_TIMEOUT_MS = 10_000;
const BUDGET_MS = DRAIN_DELAY_MS + SHUTDOWN_TIMEOUT_MS;
/** What seeing an exit may add to the budget: the exit event reaching this process. */
const OBSERVE_MS = 1000;

const redis = rawRedis();
const prefixes: string[] = [];
const spawned: ServerProcess[] = [];

/** Whether any process of the group led by `pid` (the process and whatever it forked) is still there. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function start(entry: string, env: Record<string, string>): ServerProcess {
  const prefix = freshRedisPrefix();
  prefixes.push(prefix);
  const server = spawnServer(
    entry,
    {
      TANDEM_REDIS_KEY_PREFIX: prefix,
      TANDEM_SERVER_DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
      TANDEM_SERVER_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      TANDEM_TEST_PREPARE_MS: '400',
      ...env,
    },
    { detached: true },
  );
  spawned.push(server);
  return server;
}

afterAll(async () => {
  for (const p of spawned) {
    const pid = p.child.pid;
    if (pid !== undefined && groupAlive(pid)) process.kill(-pid, 'SIGKILL');
  }
  for (const prefix of prefixes) await dropKeys(redis, prefix);
  redis.disconnect();
});

interface Outcome {
  exit: { code: number | null; signal: NodeJS.Signals | null };
  ms: number;
}

/** Signals SIGTERM once `when` resolves and returns how the process ended and how long after the signal. */
async function stopAt(server: ServerProcess, when: Promise<unknown>): Promise<Outcome> {
  await when;
  const signalledAt = Date.now();
  server.child.kill('SIGTERM');
  const exit = await within(server.exited, BUDGET_MS + 10_000, 'the process exiting after SIGTERM');
  // The primary is gone; its workers must be too.
  const pid = server.child.pid as number;
  const deadline = Date.now() + OBSERVE_MS;
  while (groupAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return { exit, ms: Date.now() - signalledAt };
}

function expectStoppedInTime(server: ServerProcess, outcome: Outcome, byItself: boolean): void {
  if (groupAlive(server.child.pid as number)) {
    // Say what is left, for the failure below to be read.
    const left = execFileSync('ps', ['-eo', 'pid,pgid,stat,etime,args']).toString();
    const pgid = String(server.child.pid);
    process.stdout.write(
      `left in the group: ${left
        .split('\n')
        .filter((l) => l.trim().split(/\s+/)[1] === pgid)
        .join('; ')}\n`,
    );
  }
  expect(groupAlive(server.child.pid as number)).toBe(false);
  expect(outcome.ms).toBeLessThanOrEqual(BUDGET_MS + OBSERVE_MS);
  if (byItself) expect(outcome.exit).toEqual({ code: 0, signal: null });
  else expect([0, 'SIGTERM']).toContain(outcome.exit.code ?? outcome.exit.signal);
  // A worker that had to be killed at the deadline lost its stop: each stopped itself.
  expect(server.logs.find((l) => l.message === 'workers still running at the stop deadline; killing them')).toBe(
    undefined,
  );
}

function report(what: string, outcome: Outcome): void {
  process.stdout.write(
    `stop ${what}: exit ${outcome.exit.code ?? outcome.exit.signal} after ${outcome.ms} ms (budget ${BUDGET_MS} ms)\n`,
  );
}

type Phase = [string, (s: ServerProcess) => Promise<unknown>, boolean];

function serverPhases(workers: number): Phase[] {
  const phases: Phase[] = [['at spawn, before its handlers exist', () => Promise.resolve(), false]];
  if (workers > 1) phases.push(['as the primary forks', (s) => s.logged('starting workers', 60000), true]);
  phases.push(['while a worker starts', (s) => s.logged('fixture is preparing', 60000), true]);
  if (workers > 1) phases.push(['when the first worker serves', (s) => s.logged('tandem is serving', 60000), true]);
  phases.push(['when all serve', (s) => waitServing(s, workers), true]);
  return phases;
}

async function waitServing(server: ServerProcess, workers: number): Promise<void> {
  const deadline = Date.now() + 60000;
  while (server.logs.filter((l) => l.message === 'tandem is serving').length < workers) {
    if (Date.now() > deadline) throw new Error(`${workers} workers serving did not happen within 60000 ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each([1, 2])('make server with server.workers = %i', (workers) => {
  it.each(serverPhases(workers))(
    'when SIGTERM comes %s, then every process is gone within the budget',
    async (what, when, byItself) => {
      const server = start('test/fixtures/cluster-main.ts', { TANDEM_SERVER_WORKERS: String(workers) });
      const outcome = await stopAt(server, when(server));
      report(`(${workers} worker(s)) ${what}`, outcome);

      expectStoppedInTime(server, outcome, byItself);
      if (byItself && workers > 1) expect(server.logs.map((l) => l.message)).toContain('stopping workers');
    },
  );
});

describe('the cluster primary with workers that never finish starting', () => {
  it('when SIGTERM comes, then it kills them at drain_delay_ms + shutdown_timeout_ms and exits 0', async () => {
    const server = start('test/fixtures/cluster-main.ts', {
      TANDEM_SERVER_WORKERS: '2',
      TANDEM_SERVER_SHUTDOWN_TIMEOUT_MS: '1200',
      TANDEM_TEST_PREPARE_MS: '600000',
    });
    const outcome = await stopAt(server, server.logged('fixture is preparing', 60000));
    report('(2 workers stuck in their start)', outcome);

    expect(outcome.exit).toEqual({ code: 0, signal: null });
    expect(groupAlive(server.child.pid as number)).toBe(false);
    expect(outcome.ms).toBeGreaterThanOrEqual(DRAIN_DELAY_MS + 1200 - 300);
    expect(outcome.ms).toBeLessThanOrEqual(DRAIN_DELAY_MS + 1200 + OBSERVE_MS);
    expect(server.logs.map((l) => l.message)).toContain('workers still running at the stop deadline; killing them');
  });
});

describe('make worker (src/worker.ts)', () => {
  const workerPhases: Phase[] = [
    ['at spawn, before its handlers exist', () => Promise.resolve(), false],
    ['while it starts', (s) => s.logged('worker is starting', 60000), true],
    ['the moment it says it runs', (s) => s.logged('worker is running', 60000), true],
    [
      '13 ms after it says it runs',
      (s) => s.logged('worker is running', 60000).then(() => new Promise((r) => setTimeout(r, 13))),
      true,
    ],
  ];

  it.each(workerPhases)('when SIGTERM comes %s, then it is gone within the budget', async (what, when, byItself) => {
    const worker = start('src/worker.ts', { TANDEM_QUEUE_DRAIN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) });
    const outcome = await stopAt(worker, when(worker));
    report(`(queue worker) ${what}`, outcome);

    expectStoppedInTime(worker, outcome, byItself);
    expect(worker.stderr()).not.toContain('Unhandled');
    if (byItself) expect(worker.logs.map((l) => l.message)).toContain('worker stopped');
  });
});
