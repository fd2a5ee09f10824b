import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from './prometheus';

/**
 * Prometheus series for what tandem depends on and what it runs in the
 * background: the MySQL pool, Redis, the Bull queues, the timed jobs and the
 * third-party (zeus) client. Each is fed by one hook in its own module
 * (core/db/mysql, core/db/redis, core/async/queues, scheduler/runner,
 * thirdparty/base); deploy/monitoring/README.md lists them with their labels.
 *
 * Hot paths (a Redis command, a pool acquisition) touch a cached labelled
 * child and nothing else. Gauges that read state (pool sizes, queue depths)
 * read it when Prometheus scrapes, never on a timer. Every label's values
 * are bounded by the code or the configuration.
 */

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const jobBuckets = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900];

// ---- MySQL pool

/** Sequelize's pool (sequelize-pool) as its getters show it. */
export interface PoolView {
  readonly size: number;
  readonly available: number;
  readonly using: number;
  readonly waiting: number;
  readonly maxSize: number;
}

/** The pools of the process's Sequelize instances, by pool name (`primary`, `replica`). */
const mysqlPools = new Set<{ pool: 'primary' | 'replica'; view: PoolView }>();

/** Reads a pool's figures at scrape time; the returned function stops reading it (at the Sequelize close). */
export function watchMysqlPool(pool: 'primary' | 'replica', view: PoolView): () => void {
  const entry = { pool, view };
  mysqlPools.add(entry);
  return () => mysqlPools.delete(entry);
}

function sumPools(read: (view: PoolView) => number): Map<string, number> {
  const sums = new Map<string, number>();
  for (const { pool, view } of mysqlPools) sums.set(pool, (sums.get(pool) ?? 0) + read(view));
  return sums;
}

export const mysqlPoolConnections = new Gauge({
  name: 'tandem_mysql_pool_connections',
  help: 'MySQL pool connections by pool (primary, replica) and state (in_use, idle); max is the pool_max bound.',
  labelNames: ['pool', 'state'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const [pool, n] of sumPools((v) => v.using)) this.set({ pool, state: 'in_use' }, n);
    for (const [pool, n] of sumPools((v) => v.available)) this.set({ pool, state: 'idle' }, n);
    for (const [pool, n] of sumPools((v) => v.maxSize)) this.set({ pool, state: 'max' }, n);
  },
});

export const mysqlPoolWaiting = new Gauge({
  name: 'tandem_mysql_pool_waiting',
  help: 'Queries waiting for a MySQL pool connection now, by pool.',
  labelNames: ['pool'] as const,
  registers: [registry],
  collect() {
    this.reset();
    for (const [pool, n] of sumPools((v) => v.waiting)) this.set({ pool }, n);
  },
});

export const mysqlPoolAcquire = new Histogram({
  name: 'tandem_mysql_pool_acquire_seconds',
  help: 'Time to get a MySQL connection from the pool (a new connection included), by pool and outcome (ok, failed).',
  labelNames: ['pool', 'outcome'] as const,
  buckets: latencyBuckets,
  registers: [registry],
});

// ---- Redis

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

export const redisCommands = new Counter({
  name: 'tandem_redis_commands_total',
  help: "Redis commands sent by tandem's clients, by client and command (other for a command outside the known set).",
  labelNames: ['client', 'command'] as const,
  registers: [registry],
});

export const redisErrors = new Counter({
  name: 'tandem_redis_errors_total',
  help: 'Redis commands that failed (error reply, timeout, connection lost), by client and command.',
  labelNames: ['client', 'command'] as const,
  registers: [registry],
});

export const redisConnectionErrors = new Counter({
  name: 'tandem_redis_connection_errors_total',
  help: "Errors a Redis client's connection reported (refused, reset, a failed reconnection), by client.",
  labelNames: ['client'] as const,
  registers: [registry],
});

/** One client's counters by command, created on first use (a bounded set). */
export interface RedisCounters {
  sent(command: string): void;
  failed(command: string): void;
  connectionError(): void;
}

export function redisCountersFor(client: string): RedisCounters {
  const sent = new Map<string, Counter.Internal>();
  const failed = new Map<string, Counter.Internal>();
  const child = (map: Map<string, Counter.Internal>, counter: Counter<'client' | 'command'>, name: string) => {
    let c = map.get(name);
    if (c === undefined) {
      const command = REDIS_COMMANDS.has(name) ? name : 'other';
      c = map.get(command) ?? counter.labels({ client, command });
      map.set(name, c);
    }
    return c;
  };
  const connection = redisConnectionErrors.labels({ client });
  return {
    sent: (name) => child(sent, redisCommands, name).inc(),
    failed: (name) => child(failed, redisErrors, name).inc(),
    connectionError: () => connection.inc(),
  };
}

// ---- Bull queues

/** What a Queues instance can say of its queues' depths. */
export type QueueCountsSource = () => Promise<Map<string, Record<string, number>>>;

const queueSources = new Set<QueueCountsSource>();
/** A scrape never waits longer than this on Redis for queue depths. */
const QUEUE_COUNTS_TIMEOUT_MS = 1000;

export function watchQueues(source: QueueCountsSource): () => void {
  queueSources.add(source);
  return () => queueSources.delete(source);
}

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;

export const queueJobs = new Gauge({
  name: 'tandem_queue_jobs',
  help: 'Jobs in each Bull queue by state (waiting, active, delayed, failed, completed), read from Redis at scrape.',
  labelNames: ['queue', 'state'] as const,
  registers: [registry],
  // Every process reads the same Redis: across cluster workers the figure is the same, not a sum.
  aggregator: 'max',
  async collect() {
    this.reset();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), QUEUE_COUNTS_TIMEOUT_MS);
    });
    const all = await Promise.all(
      [...queueSources].map((source) =>
        Promise.race([source().catch(() => undefined), timeout]).then(
          (counts) => counts ?? new Map<string, Record<string, number>>(),
        ),
      ),
    );
    clearTimeout(timer);
    for (const counts of all)
      for (const [queue, byState] of counts)
        for (const state of QUEUE_STATES) this.set({ queue, state }, Number(byState[state] ?? 0));
  },
});

export const queueJobRuns = new Counter({
  name: 'tandem_queue_job_runs_total',
  help: 'Job runs by queue and outcome: ok, retry (failed, will be tried again), failed (failed for good, in the failed set).',
  labelNames: ['queue', 'outcome'] as const,
  registers: [registry],
});

export const queueJobDuration = new Histogram({
  name: 'tandem_queue_job_duration_seconds',
  help: 'How long a job run took, by queue and outcome (ok, failed).',
  labelNames: ['queue', 'outcome'] as const,
  buckets: jobBuckets,
  registers: [registry],
});

/**
 * Puts a processed queue's run counters at 0 before its first run: Prometheus's increase() and rate() need
 * a sample before the change, so a counter born at 1 would hide the first failure from the alert.
 */
export function queueProcessed(queue: string): void {
  for (const outcome of ['ok', 'retry', 'failed']) queueJobRuns.inc({ queue, outcome }, 0);
}

export function queueJobRun(queue: string, outcome: 'ok' | 'retry' | 'failed', seconds: number): void {
  queueJobRuns.inc({ queue, outcome });
  queueJobDuration.observe({ queue, outcome: outcome === 'ok' ? 'ok' : 'failed' }, seconds);
}

// ---- Timed jobs (the scheduler)

export const timedJobRuns = new Counter({
  name: 'tandem_timed_job_runs_total',
  help: 'Timed job ticks by job name and outcome (ok, failed, timeout, unavailable, queued, skipped_tick_taken, skipped_overlap).',
  labelNames: ['name', 'outcome'] as const,
  registers: [registry],
});

export const timedJobDuration = new Histogram({
  name: 'tandem_timed_job_duration_seconds',
  help: 'How long a timed job ran (runs that did work: ok, failed, timeout, unavailable), by job name.',
  labelNames: ['name'] as const,
  buckets: jobBuckets,
  registers: [registry],
});

export const timedJobLastSuccess = new Gauge({
  name: 'tandem_timed_job_last_success_timestamp_seconds',
  help: 'When a timed job last ended ok in this process (Unix time).',
  labelNames: ['name'] as const,
  registers: [registry],
  aggregator: 'max',
});

export const schedulerLastTick = new Gauge({
  name: 'tandem_scheduler_last_tick_timestamp_seconds',
  help: "When the scheduler last ticked for a job (Unix time), whichever instance claimed the tick; set at the scheduler's start.",
  labelNames: ['name'] as const,
  registers: [registry],
  aggregator: 'max',
});

export const schedulerTickInterval = new Gauge({
  name: 'tandem_scheduler_tick_interval_seconds',
  help: "The time between a job's next two ticks by its cron schedule, for the not-ticking alert.",
  labelNames: ['name'] as const,
  registers: [registry],
  aggregator: 'max',
});

const DID_WORK = new Set(['ok', 'failed', 'timeout', 'unavailable']);

export function timedJobRun(name: string, outcome: string, seconds: number): void {
  timedJobRuns.inc({ name, outcome });
  if (DID_WORK.has(outcome)) timedJobDuration.observe({ name }, seconds);
  if (outcome === 'ok') timedJobLastSuccess.set({ name }, Date.now() / 1000);
}

export function schedulerTicked(name: string): void {
  schedulerLastTick.set({ name }, Date.now() / 1000);
}

export function schedulerStarted(name: string, intervalSeconds: number | undefined): void {
  schedulerTicked(name);
  // At 0 from the start, so the first failure is an increase (see queueProcessed).
  for (const outcome of ['ok', 'failed', 'timeout']) timedJobRuns.inc({ name, outcome }, 0);
  if (intervalSeconds !== undefined) schedulerTickInterval.set({ name }, intervalSeconds);
}

// ---- Third-party (zeus) client

export const thirdPartyCallDuration = new Histogram({
  name: 'tandem_thirdparty_call_duration_seconds',
  help: 'Calls to a sibling service (zeus) by service, method and outcome (ok, timeout, unavailable, remote_error, circuit_open, error), retries included.',
  labelNames: ['service', 'method', 'outcome'] as const,
  buckets: latencyBuckets,
  registers: [registry],
});

export const BREAKER_STATES = { closed: 0, half_open: 1, open: 2 } as const;

export const thirdPartyBreakerState = new Gauge({
  name: 'tandem_thirdparty_breaker_state',
  help: "A sibling service client's circuit breaker by service and target (host:port): 0 closed, 1 half open, 2 open.",
  labelNames: ['service', 'target'] as const,
  registers: [registry],
  aggregator: 'max',
});

export const thirdPartyBreakerTransitions = new Counter({
  name: 'tandem_thirdparty_breaker_transitions_total',
  help: 'Circuit breaker state changes by service and the state entered (open, half_open, closed).',
  labelNames: ['service', 'state'] as const,
  registers: [registry],
});

export function thirdPartyCall(service: string, method: string, outcome: string, seconds: number): void {
  thirdPartyCallDuration.observe({ service, method, outcome }, seconds);
}

/** A breaker entered `state`; `initial` sets the gauge without counting a transition (a client's start). */
export function thirdPartyBreaker(
  service: string,
  target: string,
  state: keyof typeof BREAKER_STATES,
  initial = false,
): void {
  thirdPartyBreakerState.set({ service, target }, BREAKER_STATES[state]);
  if (!initial) thirdPartyBreakerTransitions.inc({ service, state });
}
