import { QueryTypes } from 'sequelize';
import { ensureDatabase } from '../../src/core/db/database';
import { migrator, type MigrationLog } from '../../src/core/db/migrate';
import { createSequelize } from '../../src/core/db/mysql';
import { migrations } from '../../src/model/migrations';
import { testConfig } from '../helpers/app';

const SILENT: MigrationLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Once before the suite: the suite's shared database, tandem_test, is
 * created and migrated. The tests that start the app without a database of
 * their own use it; unmigrated, each such start warned that a table does not
 * exist, lines that read like failures in a passing run. A MySQL lock keeps
 * two suites that start together from migrating it at the same time.
 */
export default async function globalSetup(): Promise<void> {
  const config = testConfig();
  await ensureDatabase(config);
  const sequelize = createSequelize(config);
  try {
    await sequelize.query("SELECT GET_LOCK('tandem_test_migrate', 60)", { type: QueryTypes.SELECT });
    await migrator(sequelize, migrations, SILENT).up();
    await sequelize.query("SELECT RELEASE_LOCK('tandem_test_migrate')", { type: QueryTypes.SELECT });
  } finally {
    await sequelize.close();
  }
}
