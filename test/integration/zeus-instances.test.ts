import { performance } from 'node:perf_hooks';
import { buildConfig } from '../../src/core/config';
import { newContext, runWithContext } from '../../src/core/ctx';
import type { MetricsSink } from '../../thirdparty/base';
import { FIXTURE_ORDERS } from '../../thirdparty/zeus/stub/fixtures';
import { ZeusClient } from '../../thirdparty/zeus/zeus-client';
import { freePort } from '../helpers/ports';
import { type ServerProcess, spawnServer } from '../helpers/process';
import { waitFor } from '../helpers/wait';

/**
 * zeus over three instances, under load: three stub zeus processes
 * (`make zeus-stub`), one killed with SIGKILL (its port then refuses), one
 * frozen with SIGSTOP (the kernel still accepts its connections, nothing
 * answers) and thawed with SIGCONT, one slow. Every call runs inside a
 * request whose deadline is DEADLINE_MS away, as the doors set it.
 */

const CALLS = 400;
const CONCURRENCY = 16;
/**
 * Calls started per second: the load lasts about CALLS / RATE seconds, long enough for the faults to
 * play out. Deadlines are generous because other suites load this machine: a healthy stub process
 * starved of CPU must not look frozen.
 */
const RATE = 50;
const DEADLINE_MS = 2000;
const TIMEOUT_MS = 500;
const SLOW_MS = 40;
const BUDGET_PERCENT = 20;
const BUDGET_MIN_PER_SECOND = 3;
/** The retry budget's window. */
const WINDOW_S = 10;
/** When the faults happen, in calls started. */
const KILL_AT = 50;
const FREEZE_AT = 100;
const THAW_AT = 250;

const quietMetrics: MetricsSink = { timing: () => undefined, increment: () => undefined, gauge: () => undefined };

const orderId = FIXTURE_ORDERS[0]?.id ?? '';

/** A stub zeus in a process of its own, and the get_order calls it has logged. */
interface StubProcess {
  port: number;
  process: ServerProcess;
  calls: () => number;
}

async function startStub(latencyMs = 0): Promise<StubProcess> {
  const port = await freePort();
  const process = spawnServer('thirdparty/zeus/stub/main.ts', {
    TANDEM_THIRDPARTY_ZEUS_INSTANCES: `127.0.0.1:${port}`,
    ZEUS_STUB_LATENCY_MS: String(latencyMs),
  });
  await waitFor(
    () => (process.logs.some((l) => String(l.message).startsWith('The stub zeus serves')) ? true : undefined),
    30_000,
    `the stub zeus on port ${port} (stderr: ${process.stderr()})`,
  );
  return { port, process, calls: () => process.logs.filter((l) => String(l.message).includes(' get_order ')).length };
}

describe('zeus over three instances: one killed, one frozen, one slow', () => {
  let killed: StubProcess;
  let frozen: StubProcess;
  let slow: StubProcess;
  let client: ZeusClient;

  beforeAll(async () => {
    [killed, frozen, slow] = await Promise.all([startStub(), startStub(), startStub(SLOW_MS)]);
    const config = buildConfig(
      {
        env: 'test',
        service_name: 'tandem-zeus-instances',
        thirdparty: {
          zeus: {
            instances: [killed, frozen, slow].map((stub) => `127.0.0.1:${stub.port}`),
            timeout_ms: TIMEOUT_MS,
            pool_size: CONCURRENCY,
            retries: 2,
            retry_backoff_ms: 20,
            retry_budget_percent: BUDGET_PERCENT,
            retry_budget_min_per_second: BUDGET_MIN_PER_SECOND,
            eject_after_failures: 5,
            eject_base_ms: 250,
            eject_max_ms: 1000,
            // The breakers stay out of this test (risk-outage tests them): on a loaded machine the slow
            // instance can time out often enough to open its breaker, which measures the machine, not the balancing.
            breaker_volume: 100_000,
            breaker_reset_ms: 1000,
          },
        },
      },
      {},
    );
    client = new ZeusClient(config, { metrics: quietMetrics });
  });

  afterAll(async () => {
    await client?.close();
    for (const stub of [killed, frozen, slow]) {
      if (!stub || stub.process.child.exitCode !== null || stub.process.child.signalCode !== null) continue;
      stub.process.child.kill('SIGCONT');
      stub.process.child.kill('SIGKILL');
      await stub.process.exited;
    }
  });

  it('when the load runs through the faults, then no call fails, retries stay within the budget, no call outlives its deadline, and the frozen one is ejected and probed back', async () => {
    const [killedAddress, frozenAddress] = client.instances().map((i) => i.address);
    const events: Record<string, number> = {};
    /** The first moment `name` is seen, relative to the test's start. */
    const mark = (name: string): void => {
      events[name] ??= performance.now();
    };
    const stateOf = (address: string | undefined) => client.instances().find((i) => i.address === address)?.state;
    const sampler = setInterval(() => {
      if (events.kill !== undefined && stateOf(killedAddress) !== 'up') mark('killedOut');
      if (events.freeze !== undefined && stateOf(frozenAddress) !== 'up') mark('frozenOut');
      if (events.thaw !== undefined && stateOf(frozenAddress) === 'up') mark('frozenBack');
    }, 2);

    let failed = 0;
    const failures: string[] = [];
    let longest = 0;
    let started = 0;
    const t0 = performance.now();
    const one = async (): Promise<void> => {
      const n = started;
      started += 1;
      if (n === KILL_AT) {
        mark('kill');
        killed.process.child.kill('SIGKILL');
      }
      if (n === FREEZE_AT) {
        mark('freeze');
        frozen.process.child.kill('SIGSTOP');
      }
      if (n === THAW_AT) {
        mark('thaw');
        frozen.process.child.kill('SIGCONT');
      }
      const ctx = newContext('http');
      ctx.deadlineAt = Date.now() + DEADLINE_MS;
      const begun = performance.now();
      try {
        const order = await runWithContext(ctx, () => client.getOrder(orderId));
        expect(order.id).toBe(orderId);
      } catch (err) {
        failed += 1;
        failures.push(
          `${err instanceof Error ? err.message : String(err)} after ${(performance.now() - begun).toFixed(0)} ms`,
        );
      }
      longest = Math.max(longest, performance.now() - begun);
    };
    const worker = async (): Promise<void> => {
      while (started < CALLS) {
        // Paced: call n starts no earlier than n / RATE seconds in.
        const due = t0 + (started * 1000) / RATE - performance.now();
        if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
        if (started >= CALLS) return;
        await one();
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    // The frozen instance comes back on a probe; a trickle of calls gives it one after the load.
    const frozenCallsBefore = frozen.calls();
    await waitFor(
      async () => {
        if (events.frozenBack !== undefined) return true;
        await one();
        return undefined;
      },
      5000,
      'the thawed instance being probed back',
    );
    clearInterval(sampler);
    const elapsedS = (performance.now() - t0) / 1000;

    const { calls, retries, refused } = client.retryStats();
    if (failures.length > 0) process.stdout.write(`zeus-instances failures: ${failures.join('; ')}\n`);
    const budget = Math.floor((calls * BUDGET_PERCENT) / 100 + BUDGET_MIN_PER_SECOND * WINDOW_S);
    const ms = (from: string, to: string): string =>
      events[from] !== undefined && events[to] !== undefined ? (events[to] - events[from]).toFixed(0) : 'never';
    process.stdout.write(
      `zeus-instances: ${calls} calls (${CONCURRENCY} at once, ${elapsedS.toFixed(1)} s), ${failed} failed; ` +
        `retries ${retries} vs budget ${budget} (${BUDGET_PERCENT}% of calls + ${BUDGET_MIN_PER_SECOND}/s over ${WINDOW_S} s), ${refused} refused; ` +
        `longest call ${longest.toFixed(0)} ms (deadline ${DEADLINE_MS} ms); ` +
        `killed ejected in ${ms('kill', 'killedOut')} ms, frozen ejected in ${ms('freeze', 'frozenOut')} ms, ` +
        `probed back ${ms('thaw', 'frozenBack')} ms after the thaw; ` +
        `calls served: killed ${killed.calls()}, frozen ${frozen.calls()}, slow ${slow.calls()}\n`,
    );

    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThanOrEqual(CALLS);
    expect(retries).toBeGreaterThan(0);
    expect(retries).toBeLessThanOrEqual(budget);
    // The deadline is enforced by the client; the margin is only for a loaded machine's late timers.
    expect(longest).toBeLessThan(DEADLINE_MS + 500);
    expect(events.killedOut).toBeDefined();
    expect(events.frozenOut).toBeDefined();
    expect(events.frozenBack).toBeDefined();
    expect(stateOf(killedAddress)).not.toBe('up');
    // Back in rotation means answering again: the thawed stub got calls after the load.
    await waitFor(
      async () => {
        await one();
        return frozen.calls() > frozenCallsBefore ? true : undefined;
      },
      5000,
      'the thawed instance answering calls',
    );
    expect(failed).toBe(0);
  }, 60_000);
});
