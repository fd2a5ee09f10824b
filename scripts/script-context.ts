import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import { loadConfigOrExit, type Config } from '../src/core/config';
import { createSequelize } from '../src/core/db/mysql';
import { createRedis } from '../src/core/db/redis';
import { configureLogger, flushLogger, logger } from '../src/core/log';
import { statsd } from '../src/core/monitor';

/** What scripts/run.ts hands a script. */
export interface ScriptContext {
  config: Config;
  sequelize: Sequelize;
  redis: Redis;
  logger: typeof logger;
}

export type ScriptMain = (ctx: ScriptContext, args: string[]) => Promise<void>;

/**
 * The set-up of a one-shot command (a script, `npm run job`): configuration
 * (exits 78 when invalid), the logger and statsd under `${service_name}-${role}`,
 * and MySQL and Redis clients (Redis not yet connected). `closeScriptContext`
 * undoes it.
 */
export function openScriptContext(role: string): ScriptContext {
  const config = loadConfigOrExit();
  configureLogger({ level: config.log.level, file: config.log.file, service: `${config.service_name}-${role}` });
  statsd.reconfigure(config.statsd);
  return { config, sequelize: createSequelize(config), redis: createRedis(config, role), logger };
}

/** Closes what `openScriptContext` opened and writes the pending log lines. */
export async function closeScriptContext(ctx: ScriptContext): Promise<void> {
  await ctx.sequelize.close().catch(() => undefined);
  ctx.redis.disconnect();
  await statsd.close();
  await flushLogger();
}

/** Reads `--name value` pairs; a flag without a value is "true". */
export function parseFlags(args: string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (!arg.startsWith('--')) continue;
    const next = args[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      flags[arg.slice(2)] = next;
      i += 1;
    } else {
      flags[arg.slice(2)] = 'true';
    }
  }
  return flags;
}
