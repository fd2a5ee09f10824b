import { Counter } from 'prom-client';
import { registry } from './prometheus';

/**
 * The Redis series of core/monitor/dependency-metrics: commands and errors by
 * client and command, and connection errors by client, fed by core/db/redis.
 */

/**
 * Commands tandem's own code sends, each counted under its name; any other
 * (a script's or an operator's) counts as `other`, so the label stays bounded.
 */
const REDIS_COMMANDS = new Set(
  (
    'get set del unlink exists expire pexpire ttl pttl incr incrby decr decrby mget mset hget hset hmget hgetall ' +
    'hincrby hdel sadd srem smembers zadd zrem zrange zrangebyscore scan eval evalsha script multi exec ping info ' +
    'config client quit select'
  ).split(' '),
);

/**
 * Commands are counted in plain numbers, one tally per client and command, and
 * the counters read the tallies when scraped: a command costs a map lookup and
 * an addition, not prom-client's label hashing and validation.
 */
interface RedisTally {
  sent: number;
  failed: number;
}
const redisTallies = new Map<string, Map<string, RedisTally>>();
const redisConnectionTallies = new Map<string, number>();

function collectTallies(counter: Counter<'client' | 'command'>, read: (tally: RedisTally) => number): void {
  counter.reset();
  for (const [client, byCommand] of redisTallies)
    for (const [command, tally] of byCommand) counter.inc({ client, command }, read(tally));
}

export const redisCommands = new Counter({
  name: 'tandem_redis_commands_total',
  help: "Redis commands sent by tandem's clients, by client and command (other for a command outside the known set).",
  labelNames: ['client', 'command'] as const,
  registers: [registry],
  collect() {
    collectTallies(this, (t) => t.sent);
  },
});

export const redisErrors = new Counter({
  name: 'tandem_redis_errors_total',
  help: 'Redis commands that failed (error reply, timeout, connection lost), by client and command.',
  labelNames: ['client', 'command'] as const,
  registers: [registry],
  collect() {
    collectTallies(this, (t) => t.failed);
  },
});

export const redisConnectionErrors = new Counter({
  name: 'tandem_redis_connection_errors_total',
  help: "Errors a Redis client's connection reported (refused, reset, a failed reconnection), by client.",
  labelNames: ['client'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const [client, n] of redisConnectionTallies) this.inc({ client }, n);
  },
});

/** One client's counters by command (clients of one name add up). */
export interface RedisCounters {
  sent(command: string): void;
  failed(command: string): void;
  connectionError(): void;
}

export function redisCountersFor(client: string): RedisCounters {
  let byCommand = redisTallies.get(client);
  if (byCommand === undefined) {
    byCommand = new Map();
    redisTallies.set(client, byCommand);
  }
  const tallies = byCommand;
  /** By the name ioredis gives, whether known or counted as `other`: one lookup per command. */
  const byName = new Map<string, RedisTally>();
  const tallyOf = (name: string): RedisTally => {
    let tally = byName.get(name);
    if (tally === undefined) {
      const command = REDIS_COMMANDS.has(name) ? name : 'other';
      tally = tallies.get(command) ?? { sent: 0, failed: 0 };
      tallies.set(command, tally);
      byName.set(name, tally);
    }
    return tally;
  };
  redisConnectionTallies.set(client, redisConnectionTallies.get(client) ?? 0);
  return {
    sent: (name) => {
      tallyOf(name).sent += 1;
    },
    failed: (name) => {
      tallyOf(name).failed += 1;
    },
    connectionError: () => {
      redisConnectionTallies.set(client, (redisConnectionTallies.get(client) ?? 0) + 1);
    },
  };
}
