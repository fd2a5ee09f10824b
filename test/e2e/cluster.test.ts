import { freshRedisPrefix } from '../helpers/db';
import { spawnServer, type ServerProcess } from '../helpers/process';
import { dropKeys, rawRedis } from '../helpers/redis';
import { waitFor, within } from '../helpers/wait';

// Child processes start slowly on a loaded machine: the waits are bounds against hanging, not speed assertions.
jest.setTimeout(90_000);

/** server.workers = 2 through the real serve() (test/fixtures/cluster-main.ts). */
const redis = rawRedis();
const prefixes: string[] = [];
const spawned: ServerProcess[] = [];

function start(env: Record<string, string>): ServerProcess {
  const prefix = freshRedisPrefix();
  prefixes.push(prefix);
  const server = spawnServer('test/fixtures/cluster-main.ts', {
    TANDEM_SERVER_WORKERS: '2',
    TANDEM_REDIS_KEY_PREFIX: prefix,
    ...env,
  });
  spawned.push(server);
  return server;
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
});

describe('two workers', () => {
  it('when both serve, then they share both ports, each scheduler tick runs once, and SIGTERM stops them all', async () => {
    const server = start({});
    const prefix = prefixes[prefixes.length - 1] as string;
    const serving = await waitFor(
      () => {
        const lines = server.logs.filter((l) => l.message === 'tandem is serving');
        return lines.length >= 2 ? lines : undefined;
      },
      60000,
      'two workers serving',
    );
    expect(new Set(serving.map((l) => l.pid)).size).toBe(2);
    expect(new Set(serving.map((l) => l.http)).size).toBe(1);
    expect(new Set(serving.map((l) => l.thrift)).size).toBe(1);

    const port = Number(String(serving[0]?.http).split(':').pop());
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`http://127.0.0.1:${port}/ping`, { headers: { Connection: 'close' } })),
    );
    expect(answers.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 200));

    await waitFor(
      async () => ((await redis.llen(`${prefix}ticks`)) >= 5 ? true : undefined),
      20000,
      'five ticks of the every-second job',
    );
    server.child.kill('SIGTERM');
    const exit = await within(server.exited, 20000, 'the primary exiting after SIGTERM');
    const ticks = (await redis.lrange(`${prefix}ticks`, 0, -1)).map((t) => t.split(':'));
    const seconds = ticks.map(([, second]) => second);
    const pids = new Set(ticks.map(([pid]) => pid));
    process.stdout.write(
      `two workers: ${ticks.length} ticks over ${new Set(seconds).size} seconds from ${pids.size} pid(s)\n`,
    );

    expect(exit).toEqual({ code: 0, signal: null });
    // Each due second ran on one worker only: with the tick lock broken, every second would appear twice.
    expect(seconds.length).toBe(new Set(seconds).size);
    expect(server.logs.filter((l) => l.message === 'stopped')).toHaveLength(2);
  });

  it('when every worker dies at start, then they are re-forked with a doubling wait instead of in a loop', async () => {
    const server = start({ TANDEM_TEST_FAIL_START: '1', TANDEM_TEST_BACKOFF_MS: '200' });
    const message = 'a worker exited before it served; starting another after a wait';
    const failures = await waitFor(
      () => {
        const lines = server.logs.filter((l) => l.message === message);
        return lines.length >= 4 ? lines : undefined;
      },
      60000,
      'four failed starts',
    );
    const waits = failures.map((l) => Number(l.wait_ms));
    const at = failures.map((l) => Date.parse(String(l.timestamp)));
    // The two workers fail side by side: failure i + 2 is the replacement of failure i, forked after its wait.
    const afterWait = [2, 3].map((i) => (at[i] as number) - (at[i - 2] as number));
    process.stdout.write(
      `failing workers: waits ${waits.join(', ')} ms; replacements failed ${afterWait.join(', ')} ms after the failure they replace\n`,
    );

    // Each replacement waits twice as long as the one before.
    expect(waits.slice(0, 4)).toEqual([200, 400, 800, 1600]);
    expect(afterWait[0]).toBeGreaterThanOrEqual(200);
    expect(afterWait[1]).toBeGreaterThanOrEqual(400);
    server.child.kill('SIGTERM');
    expect(await within(server.exited, 20000, 'the primary exiting')).toEqual({ code: 0, signal: null });
  });
});
