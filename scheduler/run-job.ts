/**
 * `npm run job -- NAME [--force]`: runs one timed job once, now, with the
 * same no-overlap lock, logging and metrics as a scheduled tick. Exit 0 when
 * it ran and succeeded (and for --help), 1 when it failed or timed out, 69
 * when a dependency it needs does not answer (EX_UNAVAILABLE), 75 when
 * another run of it holds the lock, 78 (EX_CONFIG) when the job is switched
 * off in this environment's configuration (jobs.<domain>.<job>.enabled) and
 * --force is not given, 64 (EX_USAGE) when no job or an unknown one is named.
 */
import { parseArgs } from 'node:util';
import { logger } from '../src/core/log';
import { buildDomains, closeDomains } from '../src/domains';
import { closeScriptContext, openScriptContext } from '../src/core/app/script-context';
import { createScheduler } from '.';
import { JOB_NAMES, jobSettings } from './settings';

const USAGE = [
  'Usage: npm run job -- NAME [--force]',
  '  Runs one timed job once, now, under the same lock, log and metrics as a scheduled tick.',
  '  --force    run it even though jobs.<domain>.<job>.enabled is false in this configuration',
  '  --help     print this and exit',
  `Jobs: ${JOB_NAMES.join(', ')}.`,
].join('\n');

type Command = { help: true } | { name: string; force: boolean } | { problem: string };

/** The job named on the command line, --help, or the one sentence that says what is wrong (exit 64). */
function readCommand(): Command {
  const jobs = `jobs are: ${JOB_NAMES.join(', ')}.`;
  let parsed: ReturnType<typeof parse>;
  const parse = () =>
    parseArgs({
      args: process.argv.slice(2),
      options: { help: { type: 'boolean', short: 'h' }, force: { type: 'boolean' } },
      strict: true,
      allowPositionals: true,
    });
  try {
    parsed = parse();
  } catch (err) {
    return { problem: `${err instanceof Error ? err.message : String(err)}\n${USAGE}` };
  }
  if (parsed.values.help) return { help: true };
  const [name, ...extra] = parsed.positionals;
  if (!name || extra.length > 0) return { problem: `${USAGE}\nName one job; ${jobs}` };
  if (!JOB_NAMES.includes(name)) return { problem: `no job named ${name}; ${jobs}` };
  return { name, force: parsed.values.force === true };
}

async function main(): Promise<number> {
  const command = readCommand();
  if ('help' in command) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if ('problem' in command) {
    process.stderr.write(`${command.problem}\n`);
    return 64;
  }
  const { name, force } = command;
  const ctx = openScriptContext('job');
  const { config, sequelize, redis } = ctx;
  try {
    // Refused before any connection: the switch is configuration, and says so whether or not Redis answers.
    const enabled = jobSettings(config).some((j) => j.name === name && j.enabled);
    if (!enabled && !force) {
      process.stderr.write(
        `${name} is switched off in this environment's configuration (jobs.${name}.enabled is false), so it was not run. ` +
          `Run it anyway with: npm run job -- ${name} --force\n`,
      );
      return 78;
    }
    if (!enabled) logger.warn('running a job that is switched off, because --force was given', { job: name });
    await redis.connect();
    const domains = await buildDomains(config, sequelize, redis);
    try {
      const scheduler = createScheduler(redis, { config, cs: domains.cs, risk: domains.risk }, undefined);
      const outcome = await scheduler.runNow(name, new Date(), { force });
      process.stdout.write(`${name}: ${outcome}\n`);
      if (outcome === 'skipped_overlap') return 75;
      if (outcome === 'unavailable') return 69;
      return outcome === 'ok' ? 0 : 1;
    } finally {
      await closeDomains(domains, 1000);
    }
  } finally {
    await closeScriptContext(ctx);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    logger.error('job runner failed', { error: err instanceof Error ? err.message : String(err) });
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
