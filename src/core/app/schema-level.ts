import { QueryTypes, type Sequelize } from 'sequelize';
import type { Config } from '../config';
import { logger } from '../log';
import { StartRefusal } from './listen-error';

/** Where the database stands against the code's migrations, as /health reports it. */
export interface SchemaLevel {
  /** The code's last migration. */
  code: string | null;
  /** The last of the code's migrations applied to the database; null when none is, or it could not be read. */
  database: string | null;
  /** The code's migrations the database lacks; null when it could not be read. */
  pending: number | null;
  /** Why the database's level could not be read. */
  error?: string;
}

/** The table the migration runner (core/db/migrate.ts) records applied migrations in. */
const TABLE = 'schema_migrations';

/**
 * Reads the database's migrations without writing anything (umzug's own
 * reader creates its table). A database with no such table has none applied.
 */
export async function schemaLevel(sequelize: Sequelize, codeNames: readonly string[]): Promise<SchemaLevel> {
  const code = codeNames.at(-1) ?? null;
  try {
    const tables = await sequelize.query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?',
      { replacements: [TABLE], type: QueryTypes.SELECT },
    );
    const applied = new Set<string>();
    if (Number(tables[0]?.n) > 0) {
      const rows = await sequelize.query<{ name: string }>(`SELECT name FROM ${TABLE}`, { type: QueryTypes.SELECT });
      for (const row of rows) applied.add(row.name);
    }
    const pending = codeNames.filter((name) => !applied.has(name));
    const database = [...codeNames].reverse().find((name) => applied.has(name)) ?? null;
    return { code, database, pending: pending.length };
  } catch (err) {
    return { code, database: null, pending: null, error: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * The start's check (mysql.schema_check): with migrations pending, 'refuse'
 * throws a StartRefusal naming them and what to run, 'warn' logs one warning;
 * a database that cannot be read is said once and does not stop the start
 * (MySQL being down is handled as an outage).
 */
export async function checkSchemaAtStart(
  config: Config,
  sequelize: Sequelize,
  codeNames: readonly string[],
): Promise<void> {
  const mode = config.mysql.schema_check;
  if (mode === 'off' || codeNames.length === 0) return;
  const level = await schemaLevel(sequelize, codeNames);
  if (level.pending === null) {
    logger.warn('the database schema could not be checked at start; /health reports it once MySQL answers', {
      error: level.error,
    });
    return;
  }
  if (level.pending === 0) return;
  const sentence =
    `The database ${config.mysql.database} is at migration ${level.database ?? '(none)'} but the code needs ` +
    `${level.code ?? '(none)'} (${level.pending} pending)`;
  if (mode === 'refuse') {
    throw new StartRefusal(
      `${sentence}; run 'make migrate' (npm run migrate -- up) first, or set mysql.schema_check to 'warn' to serve anyway.`,
    );
  }
  logger.warn(`${sentence}; run 'make migrate' (npm run migrate -- up). Serving anyway (mysql.schema_check is warn).`, {
    database_migration: level.database,
    code_migration: level.code,
    pending: level.pending,
  });
}
