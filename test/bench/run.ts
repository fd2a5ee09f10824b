import { type ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { benchConfig, cleanUpBench } from './cs-seed';
import { cleanUpWrites } from './write-seed';
import { type LoadJob, loadResultSchema, measuringSchema } from './load-job';
import { formatReport, type Measurement, type ScenarioRuns, type Side, type SideRuns } from './report';
import { type HttpTarget, SCENARIOS, type Scenario, type ThriftTarget } from './scenarios';
import { type RunningServer, type ServerId, startServer, stopServer, TSX } from './servers';
import { processCpuMs } from './server-cpu';
import { OtlpSink } from './otlp-sink';
import { StatsdSink } from './statsd-sink';
import { traceOffHooksNs } from './trace-scenarios';

/**
 * `make bench`: starts tandem (built, access log and statsd on) and the bare
 * baselines as separate processes, loads each target in turn from yet
 * another process, and prints requests/s, p50 and p99 side by side.
 *
 * Knobs (environment): BENCH_DURATION seconds measured per target (5),
 * BENCH_WARMUP seconds of warm-up before each (2), BENCH_CONNECTIONS (16),
 * BENCH_ROUNDS (5; the order of tandem and bare alternates per round, and
 * the ratios are the median of the rounds'),
 * BENCH_ONLY (run the scenarios whose name contains it). BENCH_QUICK=1
 * (`make bench QUICK=1`) changes the defaults to one round of 1 s warm-up +
 * 2 s, about a minute in all: a look at the figures, not a measurement to
 * compare (a single round on a shared machine moves with whatever else runs).
 */

interface Options {
  durationSec: number;
  warmupSec: number;
  connections: number;
  rounds: number;
  only: string | undefined;
}

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not "${raw}".`);
  return value;
}

/** BENCH_QUICK set to anything but '', 0 or false. */
function quick(): boolean {
  const raw = (process.env.BENCH_QUICK ?? '').trim().toLowerCase();
  return raw !== '' && raw !== '0' && raw !== 'false';
}

function readOptions(): Options {
  const fast = quick();
  return {
    durationSec: numberFromEnv('BENCH_DURATION', fast ? 2 : 5),
    warmupSec: numberFromEnv('BENCH_WARMUP', fast ? 1 : 2),
    connections: Math.round(numberFromEnv('BENCH_CONNECTIONS', 16)),
    rounds: Math.round(numberFromEnv('BENCH_ROUNDS', fast ? 1 : 5)),
    only: process.env.BENCH_ONLY || undefined,
  };
}

/** Seconds as "7 min 10 s" or "40 s". */
function duration(seconds: number): string {
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}` : `${s} s`;
}

let currentLoader: ChildProcess | undefined;

/**
 * Runs one loader process and returns what it measured, with the CPU the
 * server (`serverPid`) used in the measured window; bounded by a deadline.
 */
function runLoader(job: LoadJob, serverPid: number | undefined, deadlineMs: number): Promise<Measurement> {
  const script = path.join(__dirname, job.kind === 'http' ? 'http-load.ts' : 'thrift-load.ts');
  return new Promise((resolve, reject) => {
    const child = fork(script, [JSON.stringify(job)], {
      execArgv: TSX,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    currentLoader = child;
    let result: Measurement | undefined;
    let cpuAtStart: number | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
    child.on('message', (msg) => {
      if (measuringSchema.safeParse(msg).success) cpuAtStart = processCpuMs(serverPid);
      const parsed = loadResultSchema.safeParse(msg);
      if (!parsed.success) return;
      const cpuAtEnd = processCpuMs(serverPid);
      const serverCpuMs = cpuAtStart !== undefined && cpuAtEnd !== undefined ? cpuAtEnd - cpuAtStart : undefined;
      result = { ...parsed.data, serverCpuMs };
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      currentLoader = undefined;
      if (result) resolve(result);
      else reject(new Error(`the loader exited (${signal ?? `status ${code}`}) without a result`));
    });
  });
}

function jobFor(
  scenario: Scenario,
  side: Side,
  servers: ReadonlyMap<ServerId, RunningServer>,
  options: Options,
): LoadJob {
  const common = { connections: options.connections, warmupSec: options.warmupSec, durationSec: options.durationSec };
  if (scenario.kind === 'http') {
    const target: HttpTarget = scenario[side];
    const url = `http://127.0.0.1:${servers.get(target.server)?.ports.http}${target.path}`;
    const { method, headers, body, rotate } = target;
    return { kind: 'http', url, method, headers, body, rotate, ...common };
  }
  const target: ThriftTarget = scenario[side];
  const port = servers.get(target.server)?.ports.thrift ?? 0;
  const { serviceModule, method, args } = target;
  return { kind: 'thrift', host: '127.0.0.1', port, serviceModule, method, args, ...common };
}

/** One request before the load: a target that does not answer 2xx is reported, not measured. */
async function checkHttp(job: LoadJob): Promise<void> {
  // A rotating job's requests change state in turn (a transition): one sent aside would break the turns.
  if (job.kind !== 'http' || job.rotate) return;
  const res = await fetch(job.url, { method: job.method, headers: job.headers, body: job.body });
  await res.arrayBuffer();
  if (!res.ok) throw new Error(`${job.method} ${job.url} answered ${res.status}`);
}

async function measure(
  scenario: Scenario,
  side: Side,
  servers: ReadonlyMap<ServerId, RunningServer>,
  options: Options,
  into: SideRuns,
): Promise<void> {
  if (into.failure !== undefined) return;
  const job = jobFor(scenario, side, servers, options);
  try {
    await scenario.beforeRun?.(servers);
    await checkHttp(job);
    const target = scenario[side];
    const serverPid = servers.get(target.server)?.child.pid;
    const result = await runLoader(job, serverPid, (options.warmupSec + options.durationSec) * 1000 + 30_000);
    into.runs.push(result);
    const rps = Math.round(result.requests / result.seconds);
    const cpu =
      result.serverCpuMs === undefined
        ? ''
        : `, server CPU ${Math.round((result.serverCpuMs * 1000) / result.requests)} us/req`;
    process.stderr.write(
      `  ${scenario.name} / ${side}: ${rps} req/s, p50 ${result.p50Ms.toFixed(3)} ms, p99 ${result.p99Ms.toFixed(3)} ms${cpu}\n`,
    );
  } catch (err) {
    into.failure = err instanceof Error ? err.message : String(err);
    process.stderr.write(`  ${scenario.name} / ${side}: failed: ${into.failure}\n`);
  }
}

async function countAccessLines(file: string): Promise<number> {
  if (!fs.existsSync(file)) return 0;
  let count = 0;
  for await (const line of readline.createInterface({ input: fs.createReadStream(file) })) {
    if (line.includes(' access"')) count += 1;
  }
  return count;
}

/** Tracing off: what its hooks cost per request, as a share of a cached read's CPU in this run (goal ≤ 2%). */
function traceOffReport(results: ScenarioRuns[]): string {
  const ns = traceOffHooksNs();
  const read = results.find((r) => r.scenario.name === 'GET /api/cs/events/:id (cache hit, logged in)');
  const runs = read?.tandem.runs ?? [];
  const requests = runs.reduce((n, r) => n + r.requests, 0);
  const cpuMs = runs.reduce((n, r) => n + (r.serverCpuMs ?? Number.NaN), 0);
  const cpuUs = requests > 0 ? (cpuMs * 1000) / requests : Number.NaN;
  const share = (ns / 1000 / cpuUs) * 100;
  const figure = `the hooks of one HTTP request and one Thrift call cost ${ns.toFixed(0)} ns together`;
  if (!Number.isFinite(share))
    return `Tracing off: ${figure} (no cached-read CPU figure in this run to set it against).`;
  const mark = share <= 2 ? 'MET   ' : 'MISSED';
  return `  ${mark} tracing off costs <= 2% of a request: ${figure}, ${share.toFixed(3)}% of a cached read's ${cpuUs.toFixed(0)} µs of server CPU`;
}

async function main(): Promise<void> {
  const started = performance.now();
  const options = readOptions();
  const scenarios = SCENARIOS.filter((s) => !options.only || s.name.includes(options.only));
  if (scenarios.length === 0) throw new Error(`No scenario name contains "${options.only}".`);
  // Said before anything starts, so that whoever typed `make bench` knows whether to wait or come back.
  const measuredSec = scenarios.length * 2 * options.rounds * (options.warmupSec + options.durationSec);
  process.stderr.write(
    `make bench takes about ${duration(measuredSec + 20)}: ${scenarios.length} scenarios x 2 sides x ${options.rounds} round(s) x ` +
      `${options.warmupSec + options.durationSec} s, plus starting the servers.` +
      (quick()
        ? ' Quick mode: one short round, for a look, not for comparing.\n'
        : ' `make bench QUICK=1` takes about a minute.\n'),
  );

  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-bench-'));
  const sink = new StatsdSink();
  const otlp = new OtlpSink();
  const { mysql } = benchConfig();
  const mysqlEnv = {
    BENCH_MYSQL_HOST: mysql.host,
    BENCH_MYSQL_PORT: String(mysql.port),
    BENCH_MYSQL_USER: mysql.user,
    BENCH_MYSQL_PASSWORD: mysql.password,
    BENCH_MYSQL_DATABASE: mysql.database,
  };
  const run = { tmpDir, statsdPort: await sink.listen(), mysqlEnv, otlpUrl: await otlp.listen() };
  const servers = new Map<ServerId, RunningServer>();
  const stopAll = async (): Promise<void> => {
    currentLoader?.kill('SIGKILL');
    await Promise.all([...servers.values()].map((server) => stopServer(server)));
    await sink.close();
    await otlp.close();
    await cleanUpWrites().catch((err: unknown) =>
      process.stderr.write(
        `Could not remove the write scenarios' tables and events: ${err instanceof Error ? err.message : String(err)}\n`,
      ),
    );
    await cleanUpBench().catch((err: unknown) =>
      process.stderr.write(
        `Could not remove the run's seeded data: ${err instanceof Error ? err.message : String(err)}\n`,
      ),
    );
    // A server that died on its own leaves its log behind for a look.
    if ([...servers.values()].some((s) => s.unexpectedExit !== undefined)) {
      process.stderr.write(`Kept ${tmpDir} (tandem.log) because a server exited during the run.\n`);
    } else {
      fs.rmSync(tmpDir, { recursive: true, force: true });
    }
  };
  const onSignal = (): void => void stopAll().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const needed = new Set(scenarios.flatMap((s) => [s.tandem.server, s.bare.server]));
    for (const id of needed) servers.set(id, await startServer(id, run));
    for (const scenario of scenarios) await scenario.setup?.(servers);

    const total = scenarios.length * 2 * options.rounds * (options.warmupSec + options.durationSec);
    process.stderr.write(
      `Measuring ${scenarios.length} scenarios for about ${Math.ceil(total)} s ` +
        `(${options.rounds} rounds, ${options.connections} connections, ${options.warmupSec} s warm-up + ${options.durationSec} s each).\n`,
    );
    const results: ScenarioRuns[] = scenarios.map((scenario) => ({
      scenario,
      tandem: { runs: [] },
      bare: { runs: [] },
    }));
    for (let round = 0; round < options.rounds; round += 1) {
      process.stderr.write(`Round ${round + 1} of ${options.rounds}:\n`);
      const order: Side[] = round % 2 === 0 ? ['tandem', 'bare'] : ['bare', 'tandem'];
      for (const entry of results) {
        for (const side of order) await measure(entry.scenario, side, servers, options, entry[side]);
      }
    }

    process.stdout.write(`\n${formatReport(results)}\n\n`);
    process.stdout.write(
      `tandem wrote ${await countAccessLines(path.join(tmpDir, 'tandem.log'))} access log lines and sent ` +
        `${sink.lines} statsd lines during the run (both are on while it is measured).\n`,
    );
    process.stdout.write(`${traceOffReport(results)}\n`);
    if (otlp.exports > 0)
      process.stdout.write(
        `The traced server exported ${otlp.exports} batches of spans (${(otlp.bytes / 1e6).toFixed(1)} MB of OTLP protobuf).\n`,
      );
    process.stdout.write(`The benchmark took ${duration((performance.now() - started) / 1000)}.\n`);
  } finally {
    await stopAll();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`The benchmark could not run: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
