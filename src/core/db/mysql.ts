import { type Options, QueryTypes, Sequelize, type Transaction } from 'sequelize';
import type { Config } from '../config';
import { logger } from '../log';
import { statsd } from '../monitor';
import './errors';

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

function parseHostPort(entry: string): { host: string; port: number } {
  const at = entry.lastIndexOf(':');
  if (at <= 0) return { host: entry, port: 3306 };
  return { host: entry.slice(0, at), port: Number(entry.slice(at + 1)) };
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
  const hasReplicas = mysql.replicas.length > 0;
  const credentials = { username: mysql.user, password: mysql.password };
  const options: Options = {
    dialect: 'mysql',
    database: mysql.database,
    benchmark: true,
    logging: (sql: string, timing?: number, queryOptions?: QueryLogOptions) => {
      const ms = timing ?? 0;
      const pool = poolOf(queryOptions, hasReplicas);
      statsd.timing(`mysql.query.${pool}`, ms);
      if (ms >= config.log.slow_query_ms) logger.warn('slow query', { duration_ms: ms, pool, sql: maskSql(sql) });
    },
    pool: { max: mysql.pool_max, min: mysql.pool_min, idle: mysql.pool_idle_ms, acquire: mysql.pool_acquire_ms },
    dialectOptions: { connectTimeout: 3000, supportBigNumbers: true, bigNumberStrings: true },
    timezone: '+00:00',
    define: { underscored: true, freezeTableName: true },
  };
  if (hasReplicas) {
    options.replication = {
      write: { host: mysql.host, port: mysql.port, ...credentials },
      read: mysql.replicas.map((r) => ({ ...parseHostPort(r), ...credentials })),
    };
  } else {
    Object.assign(options, { host: mysql.host, port: mysql.port, ...credentials });
  }
  return new Sequelize(options);
}

/**
 * Query options for a read that must see a write this process just made:
 * it goes to the primary, not a replica that may lag behind.
 */
export function readYourWrites<T extends object>(options: T): T & { useMaster: true } {
  return { ...options, useMaster: true };
}
