import { Redis, type RedisOptions } from 'ioredis';
import { type Config, parseHostPort } from '../config';
import { logger } from '../log';
import { outages } from '../log/outage';
import { redisCountersFor } from '../monitor/redis-metrics';

/** Which of Bull's three connections a client is: commands, pub/sub, or the blocking wait for jobs. */
export type BullConnection = 'client' | 'subscriber' | 'bclient';

/**
 * Where the clients connect: `redis.url` alone, or the primary that the
 * Sentinels name (`redis.sentinels`), with the url's password and db either way.
 */
function connectionOptions(config: Config): RedisOptions {
  const url = new URL(config.redis.url);
  const db = Number(url.pathname.replace(/^\//, '') || '0');
  const password = url.password === '' ? undefined : decodeURIComponent(url.password);
  const username = url.username === '' ? undefined : decodeURIComponent(url.username);
  const sentinels = config.redis.sentinels.map((entry, i) => parseHostPort(entry, `redis.sentinels[${i}]`));
  if (sentinels.length === 0) {
    return { host: url.hostname || '127.0.0.1', port: Number(url.port || '6379'), db, password, username };
  }
  return {
    sentinels,
    name: config.redis.sentinel_name,
    sentinelPassword: config.redis.sentinel_password === '' ? undefined : config.redis.sentinel_password,
    // Each client also listens for +switch-master on the Sentinels and reconnects at once, instead of writing
    // on to a demoted primary (which stays writable until Sentinel reconfigures it) until something breaks.
    failoverDetector: true,
    sentinelMaxConnections: 3,
    // A frozen Sentinel accepts connections (the kernel does) and answers nothing: without a deadline on asking
    // it for the primary, a reconnection that asks it first waits for ever instead of asking the next one.
    sentinelCommandTimeout: Math.max(config.redis.command_timeout_ms, 500),
    // Asking the Sentinels again, not the 10 ms-then-1 s default: a failover's gap is a few seconds at most.
    sentinelRetryStrategy: (times: number) => Math.min(times * 100, 500),
    db,
    password,
    username,
  };
}

/**
 * A write refused with READONLY went to a primary that became a replica: drop the connection, which asks the
 * Sentinels for the current primary (without Sentinel, the same server, which is all there is). The command
 * itself fails: its caller decides whether to try again.
 */
function reconnectOnReadonly(err: Error): boolean {
  return err.message.startsWith('READONLY');
}

/** What ioredis 6 keeps of a Sentinel connection's +switch-master listener; its typings leave it out. */
interface SentinelInternals {
  connector?: { failoverDetector?: { cleanup: () => void } };
}

/**
 * Stops a connection's +switch-master listener when its socket closes. ioredis keeps the listener of a lost
 * connection while it reconnects; when a Sentinel announces the new primary in the middle of a reconnection
 * (asking a Sentinel, or waiting to ask again), the listener cancels that attempt and ioredis ends the client
 * for good: every command then fails with "Connection is closed." The fault run saw it after a SIGKILL of the
 * primary in 1 of 8 runs (every connection of the process at once: logins failed for good, ticks stopped), and
 * fewer connections in others (logins failing for 10 s). A reconnection asks the Sentinels anyway, and the
 * next connection starts a listener of its own. (Upstream ioredis ties the listener to its socket likewise.)
 */
function dropFailoverListenerOnClose(client: Redis): void {
  client.on('close', () => (client as unknown as SentinelInternals).connector?.failoverDetector?.cleanup());
}

/**
 * The one factory of Redis connections: the app's clients (cache, locks,
 * counters, sessions, the scheduler) by `role`, and Bull's three per queue
 * (`bull`). With `redis.sentinels` set, each asks the Sentinels for the
 * primary, follows a failover as soon as Sentinel announces it, and
 * reconnects when a write is refused as READONLY.
 *
 * The app's clients fail fast while Redis is unreachable (no offline queue)
 * so that cached reads can fall through to MySQL instead of waiting; they
 * reconnect by themselves.
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
 * Bull's connections keep Bull's own needs: no key prefix (Bull has its own),
 * an offline queue, no command timeout (its blocking pop waits on purpose),
 * and for the subscriber and the blocking connection no ready check and no
 * retry limit, which Bull refuses otherwise.
 *
 * Outages are told once through the outage log (core/log/outage), whichever
 * of the process's clients sees them first.
 */
export function redisConnection(config: Config, role: string, bull?: BullConnection): Redis {
  const timeout = config.redis.command_timeout_ms;
  const common: RedisOptions = {
    ...connectionOptions(config),
    connectTimeout: Math.max(timeout, 1000),
    connectionName: `${config.service_name}:${role}`,
    retryStrategy: (times) => Math.min(times * 100, 500),
    reconnectOnError: reconnectOnReadonly,
  };
  const sentinel = config.redis.sentinels.length > 0;
  if (bull !== undefined) {
    const blocking = bull !== 'client';
    const bullClient = new Redis({
      ...common,
      enableReadyCheck: !blocking,
      ...(blocking ? { maxRetriesPerRequest: null } : {}),
    });
    if (sentinel) dropFailoverListenerOnClose(bullClient);
    return bullClient;
  }
  const client = new Redis({
    ...common,
    keyPrefix: config.redis.key_prefix,
    commandTimeout: timeout,
    socketTimeout: timeout,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
    // Commands issued in the same tick go out in one write: under concurrency a request's session
    // and cache reads share syscalls with other requests' (ioredis' documented auto-pipelining).
    enableAutoPipelining: true,
  });
  client.on('error', (err: Error) => outages.down('redis', err));
  client.on('ready', () => outages.up('redis'));
  if (sentinel) dropFailoverListenerOnClose(client);
  countCommands(client, role);
  return client;
}

/** How many replicas must acknowledge a write that has to survive a failover, and how long to wait for them. */
export interface ReplicaWait {
  replicas: number;
  timeoutMs: number;
}

export function replicaWaitOf(config: Config): ReplicaWait {
  // Past the command timeout the WAIT itself would fail: the wait ends a little before it.
  const ceiling = Math.max(1, Math.floor(config.redis.command_timeout_ms * 0.8));
  return { replicas: config.redis.wait_replicas, timeoutMs: Math.min(config.redis.wait_timeout_ms, ceiling) };
}

/**
 * How long a write a person waits for (a login's session and attempt
 * counts) goes on trying while a Sentinel failover settles, at most: the
 * primary switched and its replica resynced 1.5 to 3.5 s after the fault
 * here. Without Sentinels there is no failover to wait out: one try.
 */
const FAILOVER_SETTLE_MS = 3000;
/** The pause between two tries while a failover settles. */
const SETTLE_PAUSE_MS = 100;
/** What a request keeps of its deadline after its last try, for the rest of its answer. */
const ANSWER_RESERVE_MS = 250;

export function failoverSettleMsOf(config: Config): number {
  return config.redis.sentinels.length > 0 ? FAILOVER_SETTLE_MS : 0;
}

/**
 * When a request that tries again through a failover gives up: `settleMs`
 * from now, or earlier if its deadline (less what its answer needs) comes
 * first. Now, that is one try, with no deadline (a script) or no settleMs.
 */
export function settleUntil(settleMs: number, deadlineAt: number | undefined): number {
  const now = Date.now();
  if (settleMs <= 0 || deadlineAt === undefined) return now;
  return Math.min(now + settleMs, deadlineAt - ANSWER_RESERVE_MS);
}

/**
 * Runs `op`, and again after a short pause each time it fails, until it
 * succeeds or `giveUpAt` (settleUntil) has come; then its last failure is
 * thrown. During a failover the connection switches primaries (a command
 * fails at once while it reconnects) and the new primary's replicas
 * resync: `op` must be safe to run twice (the same keys and values). A
 * rejection `isAnswer` recognises (a limit's refusal) is thrown at once.
 */
export async function retryWhileSettling<T>(
  giveUpAt: number,
  op: () => Promise<T>,
  isAnswer: (err: unknown) => boolean = () => false,
): Promise<T> {
  for (;;) {
    try {
      return await op();
    } catch (err) {
      if (isAnswer(err) || Date.now() + SETTLE_PAUSE_MS >= giveUpAt) throw err;
      await new Promise((resolve) => setTimeout(resolve, SETTLE_PAUSE_MS));
    }
  }
}

/**
 * Whether the writes this connection made so far reached `wait.replicas`
 * replicas (WAIT). Redis replicates asynchronously: a write that only the
 * primary holds is lost when a replica is promoted, and a demoted primary
 * that has not yet been told goes on accepting writes nobody will keep (no
 * replica follows it any more, so WAIT answers 0 there). A caller treats
 * false as a failed write. Always true when no replica is asked for.
 */
export async function acknowledgedByReplicas(redis: Redis, wait: ReplicaWait): Promise<boolean> {
  if (wait.replicas <= 0) return true;
  const acked = await redis.wait(wait.replicas, wait.timeoutMs);
  return acked >= wait.replicas;
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
