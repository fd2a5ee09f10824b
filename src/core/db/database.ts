import mysql from 'mysql2/promise';
import type { Config } from '../config';

/** Creates the configured database when it does not exist (utf8mb4). */
export async function ensureDatabase(config: Config, database = config.mysql.database): Promise<void> {
  const connection = await mysql.createConnection({
    host: config.mysql.host,
    port: config.mysql.port,
    user: config.mysql.user,
    password: config.mysql.password,
  });
  try {
    await connection.query(
      `CREATE DATABASE IF NOT EXISTS \`${database.replace(/`/g, '``')}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await connection.end();
  }
}

/** Drops a database (tests only: each test file may own a fresh schema). */
export async function dropDatabase(config: Config, database: string): Promise<void> {
  const connection = await mysql.createConnection({
    host: config.mysql.host,
    port: config.mysql.port,
    user: config.mysql.user,
    password: config.mysql.password,
  });
  try {
    await connection.query(`DROP DATABASE IF EXISTS \`${database.replace(/`/g, '``')}\``);
  } finally {
    await connection.end();
  }
}
