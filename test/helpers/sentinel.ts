import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './ports';
import { waitFor } from './wait';

/** The group name our Sentinels watch. */
export const SENTINEL_NAME = 'tandem-test';

export interface SentinelSet {
  /** The Sentinels as host:port, as redis.sentinels takes them. */
  sentinels: string[];
  name: string;
  /** The ports of the data servers (the first primary, then the replicas). */
  serverPorts: number[];
  /** The port the Sentinels name as primary now. */
  primaryPort: () => Promise<number>;
  /** A plain client of one data server (no key prefix); the caller disconnects it. */
  direct: (port: number) => Redis;
  /** Freezes a process of the set (SIGSTOP): it keeps its connections and answers nothing. */
  pause: (port: number) => void;
  /** Lets a frozen process go on (SIGCONT). */
  resume: (port: number) => void;
  /** Kills a data server with SIGKILL and waits for its exit. */
  kill: (port: number) => Promise<void>;
  /** Waits until the Sentinels name a primary other than `port`; returns it. */
  waitForNewPrimary: (port: number, ms?: number) => Promise<number>;
  /** Waits until the primary has `count` replicas online and every Sentinel knows them and the other Sentinels. */
  settled: (count: number, ms?: number) => Promise<void>;
  /** Stops every process and removes the directory. */
  stop: () => Promise<void>;
}

/** A client that tries once: a probe must not retry into a dead server. */
function once(port: number): Redis {
  const client = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  return client;
}

async function ask<T>(port: number, fn: (client: Redis) => Promise<T>): Promise<T | undefined> {
  const client = once(port);
  try {
    await client.connect();
    return await fn(client);
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

async function end(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGCONT');
  child.kill(signal);
  await exited;
}

/**
 * Starts a Redis primary, `replicas` replicas and three Sentinels (Debian's
 * redis-server, the Sentinels as `redis-server --sentinel`) on free ports,
 * in a temporary directory, and waits until the Sentinels know the whole set.
 * Sentinel declares a primary down after 1 s of silence, so a killed primary
 * is replaced within a few seconds.
 */
export async function startSentinelSet(replicas = 2): Promise<SentinelSet> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tandem-sentinel-'));
  const children = new Map<number, ChildProcess>();
  const serverPorts: number[] = [];
  const sentinelPorts: number[] = [];
  const spawnRedis = (port: number, args: string[]): void => {
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    children.set(port, child);
  };
  try {
    for (let i = 0; i <= replicas; i += 1) {
      const port = await freePort();
      const data = path.join(dir, `redis-${port}`);
      await mkdir(data);
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', data];
      args.push('--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0');
      if (i > 0) args.push('--replicaof', '127.0.0.1', String(serverPorts[0]));
      spawnRedis(port, args);
      serverPorts.push(port);
    }
    const primary = serverPorts[0] as number;
    for (let i = 0; i < 3; i += 1) {
      const port = await freePort();
      const file = path.join(dir, `sentinel-${port}.conf`);
      await writeFile(
        file,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${primary} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_NAME} 1000`,
          `sentinel failover-timeout ${SENTINEL_NAME} 3000`,
          `sentinel parallel-syncs ${SENTINEL_NAME} ${replicas}`,
          '',
        ].join('\n'),
      );
      spawnRedis(port, [file, '--sentinel']);
      sentinelPorts.push(port);
    }
  } catch (err) {
    for (const child of children.values()) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  const primaryPort = async (): Promise<number> => {
    for (const port of sentinelPorts) {
      const answer = await ask(port, (c) => c.call('SENTINEL', 'get-master-addr-by-name', SENTINEL_NAME));
      if (Array.isArray(answer)) return Number(answer[1]);
    }
    throw new Error('No Sentinel answered which server is the primary.');
  };

  const settled = async (count: number, ms = 30000): Promise<void> => {
    await waitFor(
      async () => {
        // Sentinels just started may not listen yet: not an answer yet, not a failure.
        const port = await primaryPort().catch(() => undefined);
        if (port === undefined) return undefined;
        const info = await ask(port, (c) => c.info('replication'));
        const online = (info?.match(/^slave\d+:.*state=online/gm) ?? []).length;
        if (!info?.includes('role:master') || online < count) return undefined;
        for (const sentinel of sentinelPorts) {
          const known = await ask(sentinel, async (c) => {
            const master = (await c.call('SENTINEL', 'get-master-addr-by-name', SENTINEL_NAME)) as string[];
            const replicasSeen = (await c.call('SENTINEL', 'replicas', SENTINEL_NAME)) as string[][];
            const others = (await c.call('SENTINEL', 'sentinels', SENTINEL_NAME)) as unknown[];
            const healthy = replicasSeen.filter((r) => !String(r[r.indexOf('flags') + 1]).includes('down'));
            return Number(master[1]) === port && healthy.length >= count && others.length >= 2;
          });
          if (!known) return undefined;
        }
        return true;
      },
      ms,
      `the Sentinels to know a primary with ${count} replicas`,
    );
  };

  const waitForNewPrimary = (port: number, ms = 30000): Promise<number> =>
    waitFor(
      async () => {
        const now = await primaryPort().catch(() => port);
        return now === port ? undefined : now;
      },
      ms,
      `the Sentinels to name a primary other than ${port}`,
    );

  const stopAll = async (): Promise<void> => {
    await Promise.all([...children.values()].map((child) => end(child, 'SIGTERM')));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await settled(replicas);
  } catch (err) {
    // A set that never settled is stopped here: nobody else holds it.
    await stopAll();
    throw err;
  }
  return {
    sentinels: sentinelPorts.map((port) => `127.0.0.1:${port}`),
    name: SENTINEL_NAME,
    serverPorts,
    primaryPort,
    direct: (port) => new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 }),
    pause: (port) => void children.get(port)?.kill('SIGSTOP'),
    resume: (port) => void children.get(port)?.kill('SIGCONT'),
    kill: async (port) => {
      const child = children.get(port);
      if (child) await end(child, 'SIGKILL');
    },
    waitForNewPrimary,
    settled,
    stop: stopAll,
  };
}
