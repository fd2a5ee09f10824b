/**
 * Runs a script with the app context: configuration, logging, MySQL and
 * Redis set up, a request id on every log line, and everything closed after.
 *
 *   npm run script -- scripts/create_staff.ts --username ana --password ... --roles cs_agent
 *
 * A script module exports `default async function (ctx: ScriptContext, args: string[])`.
 * Exit status: 0 when it resolves, 1 when it throws (its message is printed), 64 when it throws a
 * UsageError (missing or wrong arguments: its message alone), 78 for bad config.
 */
import path from 'node:path';
import { newContext, runWithContext } from '../src/core/ctx';
import { logger } from '../src/core/log';
import { closeScriptContext, openScriptContext, type ScriptMain, UsageError } from './script-context';

async function main(): Promise<number> {
  const [file, ...args] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('Name the script to run: npm run script -- scripts/FILE.ts [args]\n');
    return 64;
  }
  const ctx = openScriptContext('script');
  try {
    await ctx.redis.connect().catch((err: Error) => logger.warn('Redis is not reachable', { error: err.message }));
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the script is chosen at run time
    const loaded = require(path.resolve(file)) as { default?: ScriptMain };
    if (typeof loaded.default !== 'function') {
      process.stderr.write(`${file} does not export a default async function (ctx, args).\n`);
      return 64;
    }
    const run = loaded.default;
    await runWithContext(newContext('script', undefined, path.basename(file)), () => run(ctx, args));
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n`);
      return 64;
    }
    process.stderr.write(`${file} failed: ${err instanceof Error ? err.message : String(err)}\n`);
    logger.error('script failed', {
      script: file,
      error: err instanceof Error ? err.message : String(err),
      stack: err instanceof Error ? err.stack : undefined,
    });
    return 1;
  } finally {
    await closeScriptContext(ctx);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
