import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { waitFor } from './wait';
import { preloadDocument } from './openapi-fetch-check';
import { assertOwnDatabase } from './own-database';

export const ROOT = path.join(__dirname, '..', '..');

export interface ServerProcess {
  child: ChildProcess;
  /** The JSON log lines written to stdout so far. */
  logs: Record<string, unknown>[];
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits (bounded) for the 'tandem is serving' line and returns the two ports. */
  serving: () => Promise<{ http: number; thrift: number }>;
  /** Waits for a log line (20 s unless `ms` says otherwise); a failure shows stderr. */
  logged: (message: string, ms?: number) => Promise<Record<string, unknown>>;
}

/**
 * Spawns `entry` (a .ts file under the project root) as its own Node process
 * through tsx, with the test config file and free ports unless `env` says
 * otherwise; `detached` puts it at the head of a process group of its own.
 */
export function spawnServer(
  entry: string,
  env: Record<string, string> = {},
  options: { detached?: boolean } = {},
): ServerProcess {
  assertOwnDatabase(env.TANDEM_MYSQL_DATABASE, `spawning ${entry}`);
  const child = spawn(process.execPath, ['-r', './node_modules/tsx/dist/cjs/index.cjs', entry], {
    cwd: ROOT,
    // In a process group of its own, a test can tell whether any process it started (workers too) is left.
    detached: options.detached ?? false,
    env: {
      ...process.env,
      TANDEM_CONFIG_FILE: path.join(ROOT, 'test/fixtures/config/process.config.ts'),
      TANDEM_HTTP_PORT: '0',
      TANDEM_THRIFT_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const parts = (pending + chunk.toString('utf8')).split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) {
      if (line.trim() === '') continue;
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ message: line, unparsed: true });
      }
    }
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  // The failure shows what the process wrote to stderr by then, not when the wait began.
  const logged = async (message: string, ms = 20000): Promise<Record<string, unknown>> => {
    try {
      return await waitFor(() => logs.find((l) => l.message === message), ms, `the log line "${message}"`);
    } catch (err) {
      throw new Error(`${err instanceof Error ? err.message : String(err)} (stderr: ${stderr})`, { cause: err });
    }
  };
  const serving = async (): Promise<{ http: number; thrift: number }> => {
    const line = await logged('tandem is serving');
    const port = (address: unknown): number => Number(String(address).split(':').pop());
    const ports = { http: port(line.http), thrift: port(line.thrift) };
    // Read now, so that answers arriving while the process stops are still checked against it.
    await preloadDocument(`http://127.0.0.1:${ports.http}`);
    return ports;
  };
  return { child, logs, stderr: () => stderr, exited, serving, logged };
}
