/**
 * Applies migrations: `npm run script -- scripts/migrate.ts [up|down|status]`
 * (`make migrate` runs `up`). Creates the configured database first if it
 * does not exist.
 */
import { ensureDatabase } from '../src/core/db/database';
import { migrator, type MigrationEvent, type MigrationLog } from '../src/core/db/migrate';
import { migrations } from '../src/model/migrations';
import type { ScriptContext } from './script-context';

/**
 * One line a person reads per finished migration ("applied 0001-cs-events in 46 ms"), instead of the
 * JSON log lines a server writes: this runs in a terminal, from `make develop` or by hand.
 */
const HUMAN_LOG: MigrationLog = {
  info: (event) => {
    const done = event.event === 'migrated' ? 'applied' : event.event === 'reverted' ? 'reverted' : undefined;
    if (done === undefined) return;
    const ms = typeof event.durationSeconds === 'number' ? ` in ${Math.round(event.durationSeconds * 1000)} ms` : '';
    process.stdout.write(`${done} ${String(event.name)}${ms}\n`);
  },
  warn: (event: MigrationEvent) => process.stderr.write(`migration warning: ${JSON.stringify(event)}\n`),
  error: (event: MigrationEvent) => process.stderr.write(`migration error: ${JSON.stringify(event)}\n`),
};

export default async function migrate(ctx: ScriptContext, args: string[]): Promise<void> {
  const command = args[0] ?? 'up';
  await ensureDatabase(ctx.config);
  const umzug = migrator(ctx.sequelize, migrations, HUMAN_LOG);
  if (command === 'up') {
    const applied = await umzug.up();
    process.stdout.write(
      applied.length
        ? `The database ${ctx.config.mysql.database} is migrated.\n`
        : `The database ${ctx.config.mysql.database} is up to date.\n`,
    );
  } else if (command === 'down') {
    const reverted = await umzug.down();
    if (!reverted.length) process.stdout.write('Nothing to revert.\n');
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
