import { Redis } from 'ioredis';
import type { Config } from '../config';
import { logger } from '../log';
import { outages } from '../log/outage';
import { redisCountersFor } from '../monitor/redis-metrics';

/**
 * A Redis client for cache, locks, counters and sessions. Commands fail fast
 * while Redis is unreachable (no offline queue) so that cached reads can fall
 * through to MySQL instead of waiting; the client reconnects by itself.
 *
 * Deadlines hold against a frozen Redis (a stopped process, a black-holed
 * host), where the connection stays open and nothing answers: a command
 * waits at most `redis.command_timeout_ms`, and the same silence on the
 * socket (ioredis' socketTimeout) drops the connection, which fails at once
 * every command queued behind the first instead of each waiting its own
 * timeout, and makes the next commands fail fast until a reconnection is
 * ready. Reconnection is retried every half second at most, so the service
 * is back within about that of Redis.
 *
 * Outages are told once through the outage log (core/log/outage), whichever
 * of the process's clients sees them first.
 */
export function createRedis(config: Config, name = 'main'): Redis {
  const timeout = config.redis.command_timeout_ms;
  const client = new Redis(config.redis.url, {
    keyPrefix: config.redis.key_prefix,
    commandTimeout: timeout,
    socketTimeout: timeout,
    connectTimeout: Math.max(timeout, 1000),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
    connectionName: `${config.service_name}:${name}`,
    // Commands issued in the same tick go out in one write: under concurrency a request's session
    // and cache reads share syscalls with other requests' (ioredis' documented auto-pipelining).
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(times * 100, 500),
  });
  client.on('error', (err: Error) => outages.down('redis', err));
  client.on('ready', () => outages.up('redis'));
  countCommands(client, name);
  return client;
}

/** What ioredis' Command carries that the counters read; its typings keep `reject` private. */
interface CountedCommand {
  name: string;
  reject: (err: Error) => void;
  /** Set once counted: a command ioredis sends again after a reconnection is not counted twice. */
  tandemCounted?: true;
}

/**
 * Counts every command the client sends (pipelined and auto-pipelined ones
 * included: ioredis sends each through the client's sendCommand) and every
 * one that fails, by command name (core/monitor/dependency-metrics). The
 * cost per command is a map lookup and a counter increment; a failure is
 * seen by wrapping the command's own reject, with no promise added.
 */
function countCommands(client: Redis, name: string): void {
  const counters = redisCountersFor(name);
  client.on('error', () => counters.connectionError());
  const send = client.sendCommand.bind(client) as (...args: unknown[]) => unknown;
  client.sendCommand = (command: CountedCommand, ...rest: unknown[]) => {
    if (command.tandemCounted) return send(command, ...rest);
    command.tandemCounted = true;
    const commandName = command.name;
    counters.sent(commandName);
    const reject = command.reject;
    command.reject = (err: Error) => {
      counters.failed(commandName);
      reject(err);
    };
    return send(command, ...rest);
  };
}

/** QUIT when connected, else drop the socket: a down Redis must not hold up the stop. */
export async function quitRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    await Promise.race([redis.quit(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]).catch(
      () => undefined,
    );
  }
  redis.disconnect();
}

/**
 * Logs one warning when Redis may evict tandem's keys under memory pressure
 * (a maxmemory-policy other than noeviction): sessions, Bull's queued jobs
 * and locks, and the risk scan's cursor would then vanish without an error.
 * A Redis that refuses CONFIG (a managed service) or does not answer is not
 * checked; its operator is told in docs/operations.md.
 */
export async function warnIfRedisEvicts(redis: Redis): Promise<void> {
  let policy: string | undefined;
  try {
    const answer = (await redis.config('GET', 'maxmemory-policy')) as unknown;
    if (Array.isArray(answer)) policy = String(answer[1]);
  } catch {
    return;
  }
  if (policy === undefined || policy === 'noeviction') return;
  logger.warn(
    `Redis's maxmemory-policy is ${policy}, which evicts keys when memory is full: sessions, queued jobs and the scan cursor could vanish. Set maxmemory-policy noeviction (docs/operations.md).`,
    { maxmemory_policy: policy },
  );
}
