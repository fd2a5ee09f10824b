import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import type { Config } from '../src/core/config';
import type { logger } from '../src/core/log';

/** What scripts/run.ts hands a script. */
export interface ScriptContext {
  config: Config;
  sequelize: Sequelize;
  redis: Redis;
  logger: typeof logger;
}

export type ScriptMain = (ctx: ScriptContext, args: string[]) => Promise<void>;

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
