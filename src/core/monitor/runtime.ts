import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Sequelize } from 'sequelize';
import { statsd } from './index';

/** What sequelize-pool exposes of a pool (read/write pools under replication, one pool otherwise). */
interface PoolStats {
  size: number;
  available: number;
  using: number;
  waiting: number;
}

function poolsOf(sequelize: Sequelize): Record<string, PoolStats> {
  // The pool is internal to Sequelize's connection manager; its counters are public on sequelize-pool.
  const pool = (
    sequelize.connectionManager as unknown as { pool?: PoolStats & { read?: PoolStats; write?: PoolStats } }
  ).pool;
  if (!pool) return {};
  if (pool.read && pool.write) return { replica: pool.read, primary: pool.write };
  return { primary: pool };
}

/**
 * Sends saturation gauges to statsd every `everyMs`: event-loop lag (p50,
 * p99, max over the interval) and MySQL pool use (open, busy, waiting for a
 * connection). Returns the stop function.
 */
export function startRuntimeGauges(sequelize: Sequelize, everyMs = 10_000): () => void {
  const lag = monitorEventLoopDelay({ resolution: 20 });
  lag.enable();
  const timer = setInterval(() => {
    statsd.gauge('runtime.event_loop_lag_ms.p50', lag.percentile(50) / 1e6);
    statsd.gauge('runtime.event_loop_lag_ms.p99', lag.percentile(99) / 1e6);
    statsd.gauge('runtime.event_loop_lag_ms.max', lag.max / 1e6);
    lag.reset();
    for (const [name, pool] of Object.entries(poolsOf(sequelize))) {
      statsd.gauge(`mysql.pool.${name}.open`, pool.size);
      statsd.gauge(`mysql.pool.${name}.busy`, pool.using);
      statsd.gauge(`mysql.pool.${name}.waiting`, pool.waiting);
    }
  }, everyMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    lag.disable();
  };
}
