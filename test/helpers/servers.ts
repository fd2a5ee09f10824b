import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';
import { runCommand } from './command';
import { freePort } from './ports';
import { waitFor, within } from './wait';

/** Ends a child process we started (SIGKILL after `ms`), resolving once it has exited. */
async function end(child: ChildProcess, signal: NodeJS.Signals, ms = 10000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  await exited;
  clearTimeout(timer);
}

/** Whether a redis-server on 127.0.0.1:`port` answers PING now (one connection, no retry). */
export async function redisAnswersPing(port: number): Promise<boolean> {
  const probe = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

export interface RedisServer {
  port: number;
  url: string;
  /** Kills the server at once, as a crash would (no save: the data is gone). */
  kill: () => Promise<void>;
  /** Starts it again on the same port, empty. */
  restart: () => Promise<void>;
  /** Freezes the process (SIGSTOP): its port still accepts connections and nothing answers. */
  freeze: () => void;
  /** Lets a frozen process run again (SIGCONT). */
  thaw: () => void;
  /** The process id of the running server. */
  pid: () => number | undefined;
}

/** A redis-server of this test's own on a free port, without persistence. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    // A restart of a server still running would fail on the port while the old one answered the probe.
    if (child) await end(child, 'SIGKILL');
    const proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
      {
        stdio: 'ignore',
      },
    );
    child = proc;
    try {
      await waitFor(
        async () => {
          if (proc.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${proc.exitCode}`);
          return (await redisAnswersPing(port)) || undefined;
        },
        10000,
        `redis-server on port ${port} answering PING`,
      );
    } catch (err) {
      await end(proc, 'SIGKILL');
      throw err;
    }
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    kill: async () => {
      if (child) await end(child, 'SIGKILL');
    },
    restart: start,
    freeze: () => void child?.kill('SIGSTOP'),
    thaw: () => void child?.kill('SIGCONT'),
    pid: () => child?.pid,
  };
}

/** The MariaDB server binaries, when this machine has them (a local install); undefined otherwise. */
export function mariadbBinaries(): { server: string; installDb: string } | undefined {
  const which = (name: string): string | undefined => {
    const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
    if (found) return found;
    return ['/usr/sbin', '/usr/local/sbin', '/usr/bin'].map((d) => path.join(d, name)).find((p) => existsSync(p));
  };
  const server = which('mariadbd') ?? which('mysqld');
  const installDb = which('mariadb-install-db') ?? which('mysql_install_db');
  return server && installDb ? { server, installDb } : undefined;
}

export interface MariadbServer {
  port: number;
  /** Stops the server and removes its data. */
  stop: () => Promise<void>;
  /** Shuts the server down cleanly (SIGTERM), keeping its data for `start`. */
  halt: () => Promise<void>;
  /** Starts a halted server again on the same port and data; resolves once it accepts connections. */
  start: () => Promise<void>;
  /** Freezes the process (SIGSTOP): its port still accepts connections and nothing answers. */
  freeze: () => void;
  /** Lets a frozen process run again (SIGCONT). */
  thaw: () => void;
}

export interface MariadbOptions {
  /** Extra server options, e.g. a binary log and a server id for replication. */
  args?: string[];
}

/**
 * Creates a data directory with mariadb-install-db; returns a free port for the server.
 * Its bootstrap server gets a temporary directory of its own (TMPDIR): in the shared /tmp two
 * bootstraps at once (a primary and its replica) once collided on a temporary table's file name.
 */
async function installMariadb(
  binaries: { installDb: string },
  data: string,
  user: string,
  tmp: string,
): Promise<number> {
  await mkdir(tmp, { recursive: true });
  const installed = await runCommand(
    binaries.installDb,
    [
      '--no-defaults',
      `--datadir=${data}`,
      `--user=${user}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
    ],
    { TMPDIR: tmp },
    60000,
  );
  if (installed.code !== 0) throw new Error(`mariadb-install-db failed: ${installed.stderr}`);
  return freePort();
}

/**
 * A second, throwaway MariaDB server on a free port, data in a temporary
 * directory, any user admitted (--skip-grant-tables). Loopback only.
 */
export async function startMariadbServer(
  binaries: { server: string; installDb: string },
  options: MariadbOptions = {},
): Promise<MariadbServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tandem-mariadb-'));
  const data = path.join(dir, 'data');
  const user = os.userInfo().username;
  let port: number;
  try {
    port = await installMariadb(binaries, data, user, path.join(dir, 'tmp'));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const args = options.args ?? ['--skip-log-bin'];
  let child: ChildProcess | undefined;
  let stderr = '';
  const start = async (): Promise<void> => {
    stderr = '';
    const proc = spawn(
      binaries.server,
      [
        '--no-defaults',
        `--datadir=${data}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${path.join(dir, 'mysqld.sock')}`,
        `--pid-file=${path.join(dir, 'mysqld.pid')}`,
        `--tmpdir=${path.join(dir, 'tmp')}`,
        `--user=${user}`,
        '--skip-grant-tables',
        '--innodb-buffer-pool-size=16M',
        ...args,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = proc;
    proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`mariadbd exited with ${proc.exitCode}: ${stderr}`);
        try {
          const connection = await within(
            mysql.createConnection({ host: '127.0.0.1', port, user: 'root' }),
            2000,
            'connecting',
          );
          await connection.end();
          return true;
        } catch {
          return undefined;
        }
      },
      30000,
      `the MariaDB server on port ${port} accepting connections`,
    );
  };
  const halt = async (): Promise<void> => {
    if (!child) return;
    child.kill('SIGCONT');
    await end(child, 'SIGTERM', 20000);
  };
  const stop = async (): Promise<void> => {
    await halt();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await start();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    port,
    stop,
    halt,
    start,
    freeze: () => void child?.kill('SIGSTOP'),
    thaw: () => void child?.kill('SIGCONT'),
  };
}
