import { type Options, QueryTypes, Sequelize, type Transaction } from 'sequelize';
import { type Config, parseHostPort } from '../config';
import { logger } from '../log';
import { statsd } from '../monitor';
import { isMysqlUnavailable } from './errors';
import { outages } from '../log/outage';
import { guardMysql, ReplicaSet } from './mysql-guard';
import { watchPoolMetrics } from './pool-metrics';
import { registerQueryRecorder } from './statements';

interface QueryLogOptions {
  type?: string;
  useMaster?: boolean;
  transaction?: Transaction | null;
}

/** Which pool a query went to: replicas serve plain SELECTs, the primary everything else. */
function poolOf(options: QueryLogOptions | undefined, hasReplicas: boolean): 'primary' | 'replica' {
  if (!hasReplicas) return 'primary';
  const read = options?.type === QueryTypes.SELECT && !options.useMaster && !options.transaction;
  return read ? 'replica' : 'primary';
}

/** SQL with its literal values masked, so a slow-query line never carries data or secrets. */
function maskSql(sql: string): string {
  return sql
    .replace(/^Executed \([^)]*\): /, '')
    .replace(/'(?:[^'\\]|\\.)*'/g, "'?'")
    .slice(0, 500);
}

/**
 * The MySQL connection of this process, created at start and closed at stop.
 * With `mysql.replicas` set, plain SELECTs go to the replicas and writes,
 * reads inside a transaction and reads with `useMaster` (see
 * `readYourWrites`) go to the primary. Every query is timed into statsd by
 * pool; one slower than `log.slow_query_ms` is logged with its values masked.
 */
export function createSequelize(config: Config): Sequelize {
  const { mysql } = config;
  /** Every query timed into statsd by pool; one slower than log.slow_query_ms logged with its values masked. */
  const recordQuery = (sql: string, ms: number, pool: 'primary' | 'replica'): void => {
    statsd.timing(`mysql.query.${pool}`, ms);
    // Sequelize calls this for failed queries too: during an outage every query is slow, and the outage log says so.
    if (ms >= config.log.slow_query_ms && !outages.isDown('mysql'))
      logger.warn('slow query', { duration_ms: ms, pool, sql: maskSql(sql) });
  };
  const hasReplicas = mysql.replicas.length > 0;
  const credentials = { username: mysql.user, password: mysql.password };
  const options: Options = {
    dialect: 'mysql',
    database: mysql.database,
    benchmark: true,
    logging: (sql: string, timing?: number, queryOptions?: QueryLogOptions) =>
      recordQuery(sql, timing ?? 0, poolOf(queryOptions, hasReplicas)),
    pool: { max: mysql.pool_max, min: mysql.pool_min, idle: mysql.pool_idle_ms, acquire: mysql.pool_acquire_ms },
    dialectOptions: {
      // A frozen server accepts the TCP connection and never greets: the handshake has the query deadline too.
      connectTimeout: mysql.query_timeout_ms > 0 ? Math.min(3000, mysql.query_timeout_ms) : 3000,
      supportBigNumbers: true,
      bigNumberStrings: true,
      // mysql2 reads each value itself, instead of through Sequelize's typeCast hook: that hook made
      // mysql2 build an object with three closures for every field of every row and parse each DATETIME
      // again from a string, 2-3% of a write's CPU and more of a list's. The values are the same:
      // DATETIME a Date in UTC (timezone below), BIGINT and DECIMAL strings, and DATE stays the
      // 'YYYY-MM-DD' string Sequelize's DATEONLY gives (docs/decisions.md).
      typeCast: true,
      dateStrings: ['DATE'],
    },
    timezone: '+00:00',
    define: { underscored: true, freezeTableName: true },
  };
  // A replica written without a port is on MySQL's 3306.
  const replicaAddresses = mysql.replicas.map((entry, i) =>
    parseHostPort(entry, `mysql.replicas[${i}]`, { defaultPort: 3306 }),
  );
  const replicas = hasReplicas ? new ReplicaSet(replicaAddresses, mysql.replica_out_ms) : undefined;
  if (hasReplicas) {
    options.replication = {
      write: { host: mysql.host, port: mysql.port, ...credentials },
      read: replicaAddresses.map((address) => ({ ...address, ...credentials })),
    };
  } else {
    Object.assign(options, { host: mysql.host, port: mysql.port, ...credentials });
  }
  const sequelize = new Sequelize(options);
  // The write paths' prepared statements (core/db/statements) run on the primary, timed and logged alike.
  registerQueryRecorder(sequelize, (sql, ms) => recordQuery(sql, Math.round(ms), 'primary'));
  guardMysql(sequelize, { queryTimeoutMs: mysql.query_timeout_ms, replicas });
  watchPoolMetrics(sequelize, hasReplicas);
  if (hasReplicas) retryReplicaReadsOnPrimary(sequelize);
  return sequelize;
}

/**
 * A read sent to a replica that turns out to be unreachable (refused, gone,
 * past its deadline) is tried once more on the primary: the replica is
 * already out (mysql-guard), and the caller gets its answer instead of a 503.
 */
function retryReplicaReadsOnPrimary(sequelize: Sequelize): void {
  const query = sequelize.query.bind(sequelize) as (sql: unknown, options?: QueryLogOptions) => Promise<unknown>;
  const retrying = async (sql: unknown, options?: QueryLogOptions): Promise<unknown> => {
    try {
      return await query(sql, options);
    } catch (err) {
      if (poolOf(options, true) !== 'replica' || !isMysqlUnavailable(err)) throw err;
      statsd.increment('mysql.replica.retried_on_primary');
      return query(sql, { ...options, useMaster: true });
    }
  };
  // Model methods call sequelize.query on the instance, so this covers them too.
  sequelize.query = retrying as typeof sequelize.query;
}

/**
 * Query options for a read that must see a write this process just made:
 * it goes to the primary, not a replica that may lag behind.
 */
export function readYourWrites<T extends object>(options: T): T & { useMaster: true } {
  return { ...options, useMaster: true };
}
