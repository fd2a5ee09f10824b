import { Sequelize } from 'sequelize';
import type { Config } from '../config';

/** The MySQL connection of this process: created at start, closed at stop. */
export function createSequelize(config: Config): Sequelize {
  const { mysql } = config;
  return new Sequelize(mysql.database, mysql.user, mysql.password, {
    host: mysql.host,
    port: mysql.port,
    dialect: 'mysql',
    logging: false,
    pool: { max: mysql.pool_max, min: mysql.pool_min, idle: mysql.pool_idle_ms, acquire: mysql.pool_acquire_ms },
    dialectOptions: { connectTimeout: 3000, supportBigNumbers: true, bigNumberStrings: true, dateStrings: false },
    timezone: '+00:00',
  });
}
