import type { QueryInterface, Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug } from 'umzug';
import { logger } from '../log';

export interface MigrationStep {
  name: string;
  up: (qi: QueryInterface) => Promise<void>;
  down: (qi: QueryInterface) => Promise<void>;
}

/**
 * The migration runner (umzug), recording applied migrations in
 * `schema_migrations`. Schema changes are migrations only, never `sync()`.
 */
export function migrator(sequelize: Sequelize, steps: MigrationStep[]): Umzug<QueryInterface> {
  return new Umzug({
    migrations: steps.map((step) => ({
      name: step.name,
      up: ({ context }) => step.up(context),
      down: ({ context }) => step.down(context),
    })),
    context: sequelize.getQueryInterface(),
    storage: new SequelizeStorage({ sequelize, tableName: 'schema_migrations' }),
    logger: {
      info: (event: Record<string, unknown>) => logger.info('migration', event),
      warn: (event: Record<string, unknown>) => logger.warn('migration', event),
      error: (event: Record<string, unknown>) => logger.error('migration', event),
      debug: () => undefined,
    },
  });
}
