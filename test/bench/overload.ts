import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { cleanUpBench, csSeed } from './cs-seed';
import { LatencyRecorder } from './latency';
import { type RunningServer, type ServerId, startServer, stopServer } from './servers';
import { StatsdSink } from './statsd-sink';

/**
 * `make bench-overload`: does tandem shed rather than queue? Against the
 * built server (a process of its own) on the logged-in, cached read
 * `GET /api/cs/events/:id`:
 *
 * 1. the unloaded p99 (one connection, one request at a time);
 * 2. the capacity: the most 2xx a second with BENCH_OVERLOAD_CONNECTIONS
 *    (16) connections;
 * 3. three times that rate offered open-loop (autocannon's overallRate over
 *    many connections, so that a slow answer does not slow the offer), once
 *    with admission off (what a server without it does: it queues) and once
 *    with the configured admission (defaults, or TANDEM_* variables).
 *
 * Goals (docs/resilience.md): with admission, the admitted requests' p99 at
 * most twice the unloaded p99, and the shed ones answered within 5 ms (p99).
 * Prints each as MET or MISSED and exits 0 either way: a benchmark is not a
 * test. The load comes from this process, on the same machine: the figures
 * say what the offered rate really was.
 */

const SECONDS = Number(process.env.BENCH_OVERLOAD_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_OVERLOAD_CONNECTIONS ?? 16);
/** Connections of the open-loop phase: enough that the offer is not held back by slow answers. */
const OPEN_CONNECTIONS = Number(process.env.BENCH_OVERLOAD_OPEN_CONNECTIONS ?? 256);
const FACTOR = 3;
/**
 * The goals hold where the process has its core to itself (docs/resilience.md): with two cores or more, the
 * server runs on core 0 and this process (the load) on core 1, as a host and its callers would be apart.
 * BENCH_OVERLOAD_PIN=0 leaves both to the scheduler.
 */
const PINNED = os.cpus().length >= 2 && process.env.BENCH_OVERLOAD_PIN !== '0';
const SERVER_CPU = PINNED ? 0 : undefined;

interface Phase {
  seconds: number;
  offered: number;
  ok: LatencyRecorder;
  shed: LatencyRecorder;
  other: number;
  errors: number;
}

interface Figures {
  count: number;
  p50: number;
  p99: number;
}

function figures(recorder: LatencyRecorder): Figures {
  const [p50 = Number.NaN, p99 = Number.NaN] = recorder.percentiles([50, 99]);
  return { count: recorder.count, p50, p99 };
}

function summary(phase: Phase): string {
  const ok = figures(phase.ok);
  const shed = figures(phase.shed);
  return (
    `offered ${Math.round(phase.offered / phase.seconds)}/s; ` +
    `admitted ${Math.round(ok.count / phase.seconds)}/s p50 ${ok.p50.toFixed(2)} ms p99 ${ok.p99.toFixed(2)} ms; ` +
    `shed ${Math.round(shed.count / phase.seconds)}/s p99 ${shed.p99.toFixed(2)} ms; ` +
    `other answers ${phase.other}, errors ${phase.errors}`
  );
}

/** Drives the target for `seconds`; `rate` (requests/s over all connections) makes the offer open-loop. */
function load(url: string, token: string, connections: number, seconds: number, rate?: number): Promise<Phase> {
  const phase: Phase = {
    seconds,
    offered: 0,
    ok: new LatencyRecorder(),
    shed: new LatencyRecorder(),
    other: 0,
    errors: 0,
  };
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        headers: { authorization: `Bearer ${token}` },
        connections,
        pipelining: 1,
        duration: seconds,
        timeout: 10,
        ...(rate ? { overallRate: rate } : {}),
      },
      (err: unknown, result: autocannon.Result) => {
        if (err) return reject(err instanceof Error ? err : new Error(`autocannon failed: ${JSON.stringify(err)}`));
        phase.errors = result.errors + result.timeouts;
        resolve(phase);
      },
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      phase.offered += 1;
      if (status >= 200 && status < 300) phase.ok.record(ms);
      else if (status === 503) phase.shed.record(ms);
      else phase.other += 1;
    });
  });
}

interface Admission {
  label: string;
  env: Record<string, string>;
}

const OFF: Admission = {
  label: 'admission off (it queues)',
  env: {
    TANDEM_HTTP_MAX_IN_FLIGHT: '0',
    TANDEM_SERVER_MAX_EVENT_LOOP_LAG_MS: '0',
  },
};

async function withServer<T>(
  admission: Admission,
  tmpDir: string,
  statsdPort: number,
  run: (server: RunningServer) => Promise<T>,
): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, admission.env);
  // The per-request access line would be most of a shed answer's cost: it is measured as production runs it, off.
  process.env.TANDEM_LOG_ACCESS = process.env.BENCH_OVERLOAD_ACCESS_LOG ?? 'false';
  let server: RunningServer | undefined;
  try {
    server = await startServer('tandem', { tmpDir, statsdPort }, SERVER_CPU);
    return await run(server);
  } finally {
    process.env = saved;
    if (server) await stopServer(server);
  }
}

/**
 * The server's own view of its refusals: the share of shed answers written
 * within 5 ms of their request being read (its histogram, route `shed`).
 * The client's figure adds the wait in the kernel before the process reads.
 */
async function serverShedWithin5ms(port: number | undefined): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const series = (suffix: string, le?: string): number => {
    const line = text
      .split('\n')
      .find(
        (l) =>
          l.startsWith(`tandem_http_request_duration_seconds_${suffix}{`) &&
          l.includes('route="shed"') &&
          (le === undefined || l.includes(`le="${le}"`)),
      );
    return line ? Number(line.split(' ').pop()) : 0;
  };
  const total = series('count');
  if (total === 0) return 'no refusal recorded';
  return `${((100 * series('bucket', '0.005')) / total).toFixed(1)}% of ${total} within 5 ms inside the process`;
}

const load1 = (): string => os.loadavg()[0]?.toFixed(1) ?? '?';

function goal(met: boolean, text: string): string {
  return `  ${met ? 'MET   ' : 'MISSED'} ${text}`;
}

async function main(): Promise<void> {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-bench-overload-'));
  const sink = new StatsdSink();
  const statsdPort = await sink.listen();
  const cores = os.availableParallelism();
  process.stdout.write(
    `make bench-overload: ${cores} cores, load average ${load1()}, ${SECONDS} s per phase, about ${Math.round((SECONDS * 5 + 20) / 60) + 1} min.\n`,
  );
  // The load's own core: the server is started on core 0 (startServer's cpu).
  if (PINNED) execFileSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  process.stdout.write(
    PINNED ? 'The server runs on core 0 and the load on core 1.\n' : 'Server and load share the cores.\n',
  );
  const admitted: Admission = {
    label: 'admission on (configured limits)',
    env: {},
  };
  try {
    let unloadedP99 = 0;
    let capacity = 0;
    let queued: Phase | undefined;
    const target = (server: RunningServer, eventId: number): string =>
      `http://127.0.0.1:${server.ports.http}/api/cs/events/${eventId}`;

    await withServer(OFF, tmpDir, statsdPort, async (server) => {
      const servers = new Map<ServerId, RunningServer>([['tandem', server]]);
      const seed = await csSeed(servers);
      const url = target(server, seed.eventId);
      await load(url, seed.token, CONNECTIONS, 2);
      const unloaded = await load(url, seed.token, 1, SECONDS);
      unloadedP99 = figures(unloaded.ok).p99;
      process.stdout.write(`unloaded (1 connection): ${summary(unloaded)}\n`);
      const full = await load(url, seed.token, CONNECTIONS, SECONDS);
      capacity = Math.round(figures(full.ok).count / SECONDS);
      process.stdout.write(`capacity (${CONNECTIONS} connections): ${summary(full)}\n`);
      queued = await load(url, seed.token, OPEN_CONNECTIONS, SECONDS, capacity * FACTOR);
      process.stdout.write(`${FACTOR}x capacity, ${OFF.label}: ${summary(queued)}\n`);
    });

    const shedding = await withServer(admitted, tmpDir, statsdPort, async (server) => {
      const servers = new Map<ServerId, RunningServer>([['tandem', server]]);
      const seed = await csSeed(servers);
      const url = target(server, seed.eventId);
      await load(url, seed.token, CONNECTIONS, 2);
      const phase = await load(url, seed.token, OPEN_CONNECTIONS, SECONDS, capacity * FACTOR);
      process.stdout.write(`${FACTOR}x capacity, ${admitted.label}: ${summary(phase)}\n`);
      process.stdout.write(`  refusals as the server saw them: ${await serverShedWithin5ms(server.ports.http)}\n`);
      return phase;
    });

    const ok = figures(shedding.ok);
    const shed = figures(shedding.shed);
    process.stdout.write(`\nGoals (a miss does not fail the run; load average now ${load1()}):\n`);
    process.stdout.write(
      `${goal(ok.count > 0 && ok.p99 <= 2 * unloadedP99, `admitted p99 at ${FACTOR}x capacity ≤ 2 × unloaded p99: ${ok.p99.toFixed(2)} ms vs ${(2 * unloadedP99).toFixed(2)} ms (unloaded ${unloadedP99.toFixed(2)} ms; without admission ${(queued ? figures(queued.ok).p99.toFixed(2) : undefined) ?? '?'} ms)`)}\n`,
    );
    process.stdout.write(
      `${goal(shed.count > 0 && shed.p99 <= 5, `refusals answered within 5 ms (p99): ${shed.p99.toFixed(2)} ms over ${shed.count} refusals`)}\n`,
    );
  } finally {
    await cleanUpBench().catch((err: unknown) => process.stderr.write(`cleaning up failed: ${String(err)}\n`));
    await sink.close();
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench-overload failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
