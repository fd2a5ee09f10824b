import { freshRedisPrefix } from '../helpers/db';
import { spawnServer, type ServerProcess } from '../helpers/process';
import { dropKeys, rawRedis } from '../helpers/redis';
import { waitFor, within } from '../helpers/wait';

// Child processes and commands start slowly on a loaded machine: the waits below are bounds against hanging, never
// speed assertions, and this lets them play out.
jest.setTimeout(90_000);

/**
 * Two scheduler processes side by side (test/fixtures/scheduler-main.ts),
 * sharing one Redis key prefix as two servers of one deployment do, with
 * test jobs due every second.
 */
const prefix = freshRedisPrefix();
const redis = rawRedis();
const spawned: ServerProcess[] = [];

interface SlowRun {
  pid: number;
  start: number;
  end: number;
}

/** "pid:second" entries of a list, parsed. */
async function marks(list: string): Promise<{ pid: number; second: number }[]> {
  const entries = await redis.lrange(`${prefix}${list}`, 0, -1);
  return entries.map((entry) => {
    const [pid, second] = entry.split(':').map(Number);
    return { pid: pid as number, second: second as number };
  });
}

const distinctSeconds = (entries: { second: number }[]): number => new Set(entries.map((e) => e.second)).size;

let exits: { code: number | null; signal: NodeJS.Signals | null }[] = [];
let ticks: { pid: number; second: number }[] = [];
let slow: SlowRun[] = [];

beforeAll(async () => {
  const env = { TANDEM_REDIS_KEY_PREFIX: prefix };
  spawned.push(
    spawnServer('test/fixtures/scheduler-main.ts', env),
    spawnServer('test/fixtures/scheduler-main.ts', env),
  );
  await Promise.all(spawned.map((p) => p.logged('scheduler started', 60000)));
  // Several ticks with both running, and at least two runs of the slow job.
  const before = await redis.llen(`${prefix}ticks`);
  await waitFor(
    async () => ((await redis.llen(`${prefix}ticks`)) >= before + 5 ? true : undefined),
    20000,
    'five more ticks',
  );
  await waitFor(
    async () => ((await redis.llen(`${prefix}slow`)) >= 2 ? true : undefined),
    20000,
    'two runs of the slow job',
  );
  for (const p of spawned) p.child.kill('SIGTERM');
  exits = await within(Promise.all(spawned.map((p) => p.exited)), 20000, 'both scheduler processes exiting');
  ticks = await marks('ticks');
  slow = (await redis.lrange(`${prefix}slow`, 0, -1)).map((s) => JSON.parse(s) as SlowRun);
});

afterAll(async () => {
  for (const p of spawned) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  }
  await dropKeys(redis, prefix);
  redis.disconnect();
});

describe('two scheduler processes side by side', () => {
  it('when they ran for several ticks and got SIGTERM, then both stopped cleanly', () => {
    expect(exits).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
    for (const p of spawned) expect(p.logs.map((l) => l.message)).toContain('scheduler fixture stopped');
  });

  it('when a job is due every second, then each due second ran exactly once across both', () => {
    const perSecond = new Map<number, number>();
    for (const t of ticks) perSecond.set(t.second, (perSecond.get(t.second) ?? 0) + 1);

    expect(perSecond.size).toBeGreaterThanOrEqual(5);
    expect([...perSecond.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    // Every run belongs to one of the two processes.
    const pids = spawned.map((p) => p.child.pid);
    for (const t of ticks) expect(pids).toContain(t.pid);
  });

  it('when a job takes 2.5 s and is due every second, then no run overlaps another', () => {
    const runs = [...slow].sort((a, b) => a.start - b.start);

    expect(runs.length).toBeGreaterThanOrEqual(2);
    runs.slice(1).forEach((run, i) => expect(run.start).toBeGreaterThanOrEqual((runs[i] as SlowRun).end));
  });

  it('when a job throws, then it is logged with its stack and later ticks still run', async () => {
    const logs = spawned.flatMap((p) => p.logs);
    for (const [job, list, text] of [
      ['test.boom', 'boom', 'Error: boom at'],
      ['test.boom_sync', 'boom_sync', 'Error: sync boom at'],
    ] as const) {
      const failure = logs.find((l) => l.message === 'job failed' && l.job === job);
      expect(failure).toBeDefined();
      expect(String(failure?.stack)).toContain(text);
      expect(String(failure?.stack)).toContain('scheduler-main.ts');
      expect(
        logs.filter((l) => l.message === 'job run' && l.job === job && l.outcome === 'failed').length,
      ).toBeGreaterThanOrEqual(3);
      expect(distinctSeconds(await marks(list))).toBeGreaterThanOrEqual(3);
    }
  });
});
