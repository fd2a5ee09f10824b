import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '../helpers/ports';

/** Redis of the run: tandem's cache keys and the bare handlers' reads share this prefix. */
export const BENCH_REDIS_URL = 'redis://127.0.0.1:6379/0';
export const BENCH_REDIS_PREFIX = `tandem-bench-${process.pid}:`;

/** The project root (test/bench/ is two levels down). */
export const ROOT = path.resolve(__dirname, '..', '..');
/** Loads TypeScript in a child process, as `make bench` does for this one. */
export const TSX = ['-r', path.join(ROOT, 'node_modules/tsx/dist/cjs/index.cjs')];

/** The generated Tandem service module, from the project root. */
export const TANDEM_SERVICE = 'thrift/gen-nodejs/Tandem';

export type PortKind = 'http' | 'thrift';
export type ServerId =
  'tandem' | 'tandem-2w' | 'tandem-traced' | 'bare-express' | 'floor-express' | 'bare-thrift' | 'floor-thrift';

/** What every server of a run can be given: where to log and where statsd is. */
export interface RunContext {
  tmpDir: string;
  statsdPort: number;
  /** Where tandem's database is: the bare write baselines use twin tables in it. */
  mysqlEnv?: Record<string, string>;
  /** Where 'tandem-traced' exports its spans (the run's OTLP sink). */
  otlpUrl?: string;
}

interface ServerDef {
  /** The protocols it serves, each on a port of its own. */
  ports: readonly PortKind[];
  args: readonly string[];
  env: (ports: Partial<Record<PortKind, number>>, run: RunContext) => Record<string, string>;
}

/**
 * BENCH_CPU_PROFILE=dir: tandem writes a V8 CPU profile of its run there
 * when it stops (`--cpu-prof`), to be read in Chrome's DevTools or
 * summarised by test/bench/profile-summary.ts.
 */
function cpuProfileArgs(): string[] {
  const dir = process.env.BENCH_CPU_PROFILE;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(dir)}`] : [];
}

/** tandem as `make server` runs it, with `workers` cluster workers (1: no cluster). */
function tandemServer(workers: number, logFile: string): ServerDef {
  return {
    ports: ['http', 'thrift'],
    args: [...cpuProfileArgs(), path.join(ROOT, 'dist/src/main.js')],
    env: (ports, run) => ({
      TANDEM_HTTP_HOST: '127.0.0.1',
      TANDEM_HTTP_PORT: String(ports.http),
      TANDEM_THRIFT_HOST: '127.0.0.1',
      TANDEM_THRIFT_PORT: String(ports.thrift),
      TANDEM_SERVER_WORKERS: String(workers),
      TANDEM_SERVER_SCHEDULER: 'false',
      TANDEM_LOG_LEVEL: 'info',
      TANDEM_LOG_ACCESS: 'true',
      TANDEM_LOG_FILE: path.join(run.tmpDir, logFile),
      TANDEM_STATSD_ENABLED: 'true',
      TANDEM_STATSD_HOST: '127.0.0.1',
      TANDEM_STATSD_PORT: String(run.statsdPort),
      TANDEM_REDIS_URL: BENCH_REDIS_URL,
      TANDEM_REDIS_KEY_PREFIX: BENCH_REDIS_PREFIX,
    }),
  };
}

/** The same server with every trace sampled and sent to the run's OTLP sink. */
function traced(server: ServerDef): ServerDef {
  return {
    ...server,
    env: (ports, run) => ({
      ...server.env(ports, run),
      TANDEM_TRACE_OTLP_URL: run.otlpUrl ?? '',
      TANDEM_TRACE_SAMPLE_RATIO: '1',
    }),
  };
}

/**
 * The processes a benchmark loads. tandem is the built server exactly as
 * `make server` runs it, with the access log written to a file and statsd
 * sent to the orchestrator's UDP sink; the timed jobs are off so that none
 * fires mid-measurement. The bare baselines are in targets/.
 */
export const SERVERS: Record<ServerId, ServerDef> = {
  tandem: tandemServer(1, 'tandem.log'),
  // server.workers: 2 (issue 23): the same server as a cluster of two, measured against one.
  'tandem-2w': tandemServer(2, 'tandem-2w.log'),
  // Tracing on, every trace sampled, exported to the run's OTLP sink: what tracing costs, beside 'tandem'.
  'tandem-traced': traced(tandemServer(1, 'tandem-traced.log')),
  'bare-express': {
    ports: ['http'],
    args: [...TSX, path.join(__dirname, 'targets/bare-express.ts')],
    env: (ports, run) => ({ BENCH_PORT: String(ports.http), BENCH_REDIS_URL, BENCH_REDIS_PREFIX, ...run.mysqlEnv }),
  },
  'floor-express': {
    ports: ['http'],
    args: [...TSX, path.join(__dirname, 'targets/floor-express.ts')],
    env: (ports, run) => ({
      BENCH_PORT: String(ports.http),
      BENCH_STATSD_PORT: String(run.statsdPort),
      BENCH_LOG_FILE: path.join(run.tmpDir, 'floor-express.log'),
    }),
  },
  'bare-thrift': {
    ports: ['thrift'],
    args: [...TSX, path.join(__dirname, 'targets/bare-thrift.ts')],
    env: (ports, run) => ({ BENCH_PORT: String(ports.thrift), BENCH_REDIS_URL, BENCH_REDIS_PREFIX, ...run.mysqlEnv }),
  },
  'floor-thrift': {
    ports: ['thrift'],
    args: [...TSX, path.join(__dirname, 'targets/floor-thrift.ts')],
    env: (ports) => ({ BENCH_PORT: String(ports.thrift) }),
  },
};

export interface RunningServer {
  id: ServerId;
  ports: Partial<Record<PortKind, number>>;
  child: ChildProcess;
  /** Set by stopServer: an exit after it is expected. */
  stopping: boolean;
  /** How the server ended when it ended on its own during the run. */
  unexpectedExit?: string;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitUntilListening(server: RunningServer, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const port of Object.values(server.ports)) {
    while (!(await accepts(port))) {
      if (server.child.exitCode !== null)
        throw new Error(`${server.id} exited with status ${server.child.exitCode} while starting.`);
      if (Date.now() > deadline) throw new Error(`${server.id} did not listen on port ${port} within ${timeoutMs} ms.`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/**
 * Starts one server as a child process on free ports and waits until it accepts connections. With `cpu`, the
 * server runs on that core only (taskset), so that a load generated on another core does not take its CPU.
 */
export async function startServer(id: ServerId, run: RunContext, cpu?: number): Promise<RunningServer> {
  const def = SERVERS[id];
  const ports: Partial<Record<PortKind, number>> = {};
  for (const kind of def.ports) ports[kind] = await freePort();
  const [command, args] =
    cpu === undefined
      ? [process.execPath, [...def.args]]
      : ['taskset', ['-c', String(cpu), process.execPath, ...def.args]];
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production', ...def.env(ports, run) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const server: RunningServer = { id, ports, child, stopping: false };
  child.once('exit', (code, signal) => {
    if (server.stopping) return;
    server.unexpectedExit = signal ?? `status ${code}`;
    process.stderr.write(`  ${id} exited during the run (${server.unexpectedExit}).\n`);
  });
  await waitUntilListening(server, 20_000);
  return server;
}

/** Stops a server with SIGTERM, and SIGKILL when it has not exited after `graceMs`. */
export async function stopServer(server: RunningServer, graceMs = 5000): Promise<void> {
  const { child } = server;
  server.stopping = true;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
