import { randomBytes } from 'node:crypto';
import { dropDatabase, ensureDatabase } from '../../src/core/db/database';
import { migrator } from '../../src/core/db/migrate';
import { createSequelize } from '../../src/core/db/mysql';
import { migrations } from '../../src/model/migrations';
import { testConfig } from './app';

/**
 * A fresh, migrated database owned by one test file, so its counts and rows
 * never meet another file's. Pass `database` in the app's config overrides
 * (`{ mysql: { database } }`) and call `drop()` in afterAll.
 */
export async function freshDatabase(): Promise<{ database: string; drop: () => Promise<void> }> {
  const database = `tandem_t_${randomBytes(5).toString('hex')}`;
  const config = testConfig({ mysql: { database } });
  await ensureDatabase(config);
  const sequelize = createSequelize(config);
  try {
    await migrator(sequelize, migrations).up();
  } finally {
    await sequelize.close();
  }
  return { database, drop: () => dropDatabase(config, database) };
}

/** A Redis key prefix no other test file uses. */
export function freshRedisPrefix(): string {
  return `tandem-t-${randomBytes(5).toString('hex')}:`;
}
