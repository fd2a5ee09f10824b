import type { QueryInterface, Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import { logger } from '../log';

export interface MigrationStep {
  name: string;
  up: (qi: QueryInterface) => Promise<void>;
  down: (qi: QueryInterface) => Promise<void>;
}

/** What umzug reports of a migration: `event` is migrating, migrated, reverting or reverted. */
export interface MigrationEvent {
  event?: string;
  name?: string;
  durationSeconds?: number;
  [key: string]: unknown;
}

/** Where umzug's reports go: the JSON log by default; the command line passes its own (human lines). */
export interface MigrationLog {
  info: (event: MigrationEvent) => void;
  warn: (event: MigrationEvent) => void;
  error: (event: MigrationEvent) => void;
}

const JSON_LOG: MigrationLog = {
  info: (event) => logger.info('migration', event),
  warn: (event) => logger.warn('migration', event),
  error: (event) => logger.error('migration', event),
};

/**
 * The migration runner (umzug), recording applied migrations in
 * `schema_migrations`. Schema changes are migrations only, never `sync()`.
 */
export function migrator(
  sequelize: Sequelize,
  steps: MigrationStep[],
  log: MigrationLog = JSON_LOG,
): Umzug<QueryInterface> {
  return new Umzug({
    migrations: steps.map((step) => ({
      name: step.name,
      up: ({ context }) => step.up(context),
      down: ({ context }) => step.down(context),
    })),
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize, tableName: 'schema_migrations' }),
    logger: { ...log, debug: () => undefined },
  });
}
