/**
 * Applies migrations: `npm run script -- scripts/migrate.ts [up|down|status]`
 * (`make migrate` runs `up`). Creates the configured database first if it
 * does not exist.
 */
import { parseArgs } from 'node:util';
import { ensureDatabase } from '../src/core/db/database';
import { migrator, type MigrationEvent, type MigrationLog } from '../src/core/db/migrate';
import { createSequelize } from '../src/core/db/mysql';
import { migrations } from '../src/model/migrations';
import { type ScriptContext, UsageError } from './script-context';

/**
 * One line a person reads per finished migration ("applied 0001-cs-events in 46 ms"), instead of the
 * JSON log lines a server writes: this runs in a terminal, from `make develop` or by hand.
 */
/** What umzug says of a migration, as words when it has a message. */
function said(event: MigrationEvent): string {
  return typeof event.message === 'string' ? event.message : JSON.stringify(event);
}

const HUMAN_LOG: MigrationLog = {
  info: (event) => {
    const done = event.event === 'migrated' ? 'applied' : event.event === 'reverted' ? 'reverted' : undefined;
    if (done === undefined) return;
    const ms = typeof event.durationSeconds === 'number' ? ` in ${Math.round(event.durationSeconds * 1000)} ms` : '';
    process.stdout.write(`${done} ${String(event.name)}${ms}\n`);
  },
  warn: (event: MigrationEvent) =>
    process.stderr.write(`Warning from migration ${String(event.name)}: ${said(event)}\n`),
  error: (event: MigrationEvent) => process.stderr.write(`Migration ${String(event.name)} failed: ${said(event)}\n`),
};

const COMMANDS = ['up', 'down', 'status'];

/** The command, checked before anything touches the database (an unknown one creates nothing). */
function commandOf(args: string[]): string {
  const usage = 'Usage: npm run migrate -- [up|down|status] (up when none is given).';
  let positionals: string[];
  try {
    ({ positionals } = parseArgs({ args, options: {}, strict: true, allowPositionals: true }));
  } catch (err) {
    throw new UsageError(`${err instanceof Error ? err.message : String(err)}\n${usage}`);
  }
  const [command = 'up', ...extra] = positionals;
  if (!COMMANDS.includes(command) || extra.length > 0) {
    throw new UsageError(`There is no migrate command ${positionals.join(' ')}.\n${usage}`);
  }
  return command;
}

export default async function migrate(ctx: ScriptContext, args: string[]): Promise<void> {
  const command = commandOf(args);
  await ensureDatabase(ctx.config);
  // Without the per-query deadline (mysql.query_timeout_ms) and the server's statement limit under it:
  // an online index build on a large table runs for minutes (0008 took 287 s on 10 M events in
  // make bench-scale), and ending it half-way would roll the whole build back. A migration's DDL is slow by
  // nature and its time is on its own line: no JSON 'slow query' warning in a terminal.
  const sequelize = createSequelize({
    ...ctx.config,
    mysql: { ...ctx.config.mysql, query_timeout_ms: 0 },
    log: { ...ctx.config.log, slow_query_ms: Infinity },
  });
  try {
    await run(command, migrator(sequelize, migrations, HUMAN_LOG), ctx.config.mysql.database);
  } finally {
    await sequelize.close();
  }
}

async function run(command: string, umzug: ReturnType<typeof migrator>, database: string): Promise<void> {
  if (command === 'up') {
    const applied = await umzug.up();
    process.stdout.write(
      applied.length ? `The database ${database} is migrated.\n` : `The database ${database} is up to date.\n`,
    );
  } else if (command === 'down') {
    const reverted = await umzug.down();
    if (!reverted.length) process.stdout.write('Nothing to revert.\n');
  } else {
    const pending = await umzug.pending();
    const executed = await umzug.executed();
    process.stdout.write(
      `Applied: ${executed.map((m) => m.name).join(', ') || 'none'}\nPending: ${pending.map((m) => m.name).join(', ') || 'none'}\n`,
    );
  }
}
