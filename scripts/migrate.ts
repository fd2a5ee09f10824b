/**
 * Applies migrations: `npm run script -- scripts/migrate.ts [up|down|status]`
 * (`make migrate` runs `up`). Creates the configured database first if it
 * does not exist.
 */
import { ensureDatabase } from '../src/core/db/database';
import { migrator } from '../src/core/db/migrate';
import { migrations } from '../src/model/migrations';
import type { ScriptContext } from './script-context';

export default async function migrate(ctx: ScriptContext, args: string[]): Promise<void> {
  const command = args[0] ?? 'up';
  await ensureDatabase(ctx.config);
  const umzug = migrator(ctx.sequelize, migrations);
  if (command === 'up') {
    const applied = await umzug.up();
    process.stdout.write(
      applied.length ? `Applied ${applied.map((m) => m.name).join(', ')}.\n` : 'The database is up to date.\n',
    );
  } else if (command === 'down') {
    const reverted = await umzug.down();
    process.stdout.write(
      reverted.length ? `Reverted ${reverted.map((m) => m.name).join(', ')}.\n` : 'Nothing to revert.\n',
    );
  } else if (command === 'status') {
    const pending = await umzug.pending();
    const executed = await umzug.executed();
    process.stdout.write(
      `Applied: ${executed.map((m) => m.name).join(', ') || 'none'}\nPending: ${pending.map((m) => m.name).join(', ') || 'none'}\n`,
    );
  } else {
    throw new Error(`Unknown command "${command}"; use up, down or status.`);
  }
}
