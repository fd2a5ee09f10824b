import { performance } from 'node:perf_hooks';
import { QueryTypes, type Sequelize } from 'sequelize';
import { mysqlPoolAcquire, type PoolView, watchMysqlPool } from '../monitor/dependency-metrics';

/** Sequelize's connection manager as this module reads it; its typings leave these out. */
interface ManagerInternals {
  pool: PoolView & { read?: PoolView; write?: PoolView };
  getConnection: (options?: { type?: string; useMaster?: boolean }) => Promise<unknown>;
}

/**
 * Feeds the MySQL pool series (core/monitor/dependency-metrics): the pool's
 * sizes and waiting queries are read at scrape time from Sequelize's pool
 * (the primary's, and the replicas' when `mysql.replicas` is set), and each
 * connection taken from it is timed, a new connection's handshake included,
 * as `ok` or `failed` (an acquire timeout: the pool is starved).
 */
export function watchPoolMetrics(sequelize: Sequelize, hasReplicas: boolean): void {
  const manager = sequelize.connectionManager as unknown as ManagerInternals;
  const { pool } = manager;
  const unwatch =
    hasReplicas && pool.read && pool.write
      ? [watchMysqlPool('primary', pool.write), watchMysqlPool('replica', pool.read)]
      : [watchMysqlPool('primary', pool)];
  const primary = {
    ok: mysqlPoolAcquire.labels('primary', 'ok'),
    failed: mysqlPoolAcquire.labels('primary', 'failed'),
  };
  const replica = {
    ok: mysqlPoolAcquire.labels('replica', 'ok'),
    failed: mysqlPoolAcquire.labels('replica', 'failed'),
  };
  // The failed series exist at 0 from the start, so the first failure is a rate above 0 for the alert.
  mysqlPoolAcquire.zero({ pool: 'primary', outcome: 'failed' });
  if (hasReplicas) mysqlPoolAcquire.zero({ pool: 'replica', outcome: 'failed' });
  const getConnection = manager.getConnection.bind(manager);
  manager.getConnection = async (options) => {
    // Sequelize's own rule (ConnectionManager.initPools): a SELECT not forced to the primary reads from a replica.
    const timer = hasReplicas && options?.type === QueryTypes.SELECT && !options.useMaster ? replica : primary;
    const started = performance.now();
    try {
      const connection = await getConnection(options);
      timer.ok.observe((performance.now() - started) / 1000);
      return connection;
    } catch (err) {
      timer.failed.observe((performance.now() - started) / 1000);
      throw err;
    }
  };
  const close = sequelize.close.bind(sequelize);
  sequelize.close = async () => {
    for (const stop of unwatch) stop();
    return close();
  };
}
