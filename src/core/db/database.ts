import mysql from 'mysql2/promise';
import type { Config } from '../config';

const quoted = (name: string): string => `\`${name.replace(/`/g, '``')}\``;

/** Runs one statement on a connection to the server itself (no database selected), then closes it. */
async function onServer(config: Config, sql: string): Promise<void> {
  const connection = await mysql.createConnection({
    host: config.mysql.host,
    port: config.mysql.port,
    user: config.mysql.user,
    password: config.mysql.password,
  });
  try {
    await connection.query(sql);
  } finally {
    await connection.end();
  }
}

/** Creates the configured database when it does not exist (utf8mb4). */
export function ensureDatabase(config: Config, database = config.mysql.database): Promise<void> {
  return onServer(
    config,
    `CREATE DATABASE IF NOT EXISTS ${quoted(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
  );
}

/** Drops a database (tests only: each test file may own a fresh schema). */
export function dropDatabase(config: Config, database: string): Promise<void> {
  return onServer(config, `DROP DATABASE IF EXISTS ${quoted(database)}`);
}
