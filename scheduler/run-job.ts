/**
 * `npm run job -- NAME`: runs one timed job once, now, with the same
 * no-overlap lock, logging and metrics as a scheduled tick. Exit 0 when it
 * ran and succeeded, 1 when it failed or timed out, 69 when a dependency it
 * needs does not answer (EX_UNAVAILABLE), 75 when another run of it holds the lock,
 * 64 (EX_USAGE) when no job or an unknown one is named.
 */
import { parseArgs } from 'node:util';
import { logger } from '../src/core/log';
import { buildDomains, closeDomains } from '../src/domains';
import { closeScriptContext, openScriptContext } from '../src/core/app/script-context';
import { createScheduler } from '.';
import { JOB_SETTINGS } from './settings';

/** The job named on the command line, or the one sentence that says what is wrong (exit 64). */
function jobName(): { name: string } | { problem: string } {
  const jobs = `jobs are: ${JOB_SETTINGS.map((j) => j.name).join(', ')}.`;
  let positionals: string[];
  try {
    ({ positionals } = parseArgs({ args: process.argv.slice(2), options: {}, strict: true, allowPositionals: true }));
  } catch (err) {
    return { problem: `${err instanceof Error ? err.message : String(err)}\nUsage: npm run job -- NAME; ${jobs}` };
  }
  const [name, ...extra] = positionals;
  if (!name || extra.length > 0) return { problem: `Usage: npm run job -- NAME (one job); ${jobs}` };
  if (!JOB_SETTINGS.some((j) => j.name === name)) return { problem: `no job named ${name}; ${jobs}` };
  return { name };
}

async function main(): Promise<number> {
  const named = jobName();
  if ('problem' in named) {
    process.stderr.write(`${named.problem}\n`);
    return 64;
  }
  const { name } = named;
  const ctx = openScriptContext('job');
  const { config, sequelize, redis } = ctx;
  try {
    await redis.connect();
    const domains = await buildDomains(config, sequelize, redis);
    const scheduler = createScheduler(redis, { config, cs: domains.cs, risk: domains.risk }, undefined);
    const outcome = await scheduler.runNow(name).finally(() => closeDomains(domains, 1000));
    process.stdout.write(`${name}: ${outcome}\n`);
    if (outcome === 'skipped_overlap') return 75;
    if (outcome === 'unavailable') return 69;
    return outcome === 'ok' ? 0 : 1;
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
