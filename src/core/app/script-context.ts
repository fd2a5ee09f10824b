import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import { loadConfigOrExit, type Config } from '../config';
import { createSequelize } from '../db/mysql';
import { redisConnection } from '../db/redis';
import { configureLogger, flushLogger, logger } from '../log';
import { statsd } from '../monitor';
import { routeThriftLibraryLog } from '../rpc';
import { reopenLogsOnHangup } from '../signal';
import { startTracing, stopTracing, traceIdentity } from '../trace';

/** What a process that is not the server starts with: a script, `npm run job`, the queue worker. */
export interface ScriptContext {
  config: Config;
  sequelize: Sequelize;
  redis: Redis;
  logger: typeof logger;
}

/**
 * The set-up of a process other than the server (a script, `npm run job`,
 * the worker): configuration (exits 78 when invalid), the logger and statsd
 * under `${service_name}-${role}`, and MySQL and Redis clients (Redis not yet
 * connected). SIGHUP reopens log.file (log rotation) instead of ending the
 * process. `closeScriptContext` undoes it.
 */
export function openScriptContext(role: string): ScriptContext {
  const config = loadConfigOrExit();
  configureLogger({ level: config.log.level, file: config.log.file, service: `${config.service_name}-${role}` });
  routeThriftLibraryLog();
  reopenLogsOnHangup();
  statsd.reconfigure(config.statsd);
  startTracing(config.trace, traceIdentity(config, role), (message, fields) => logger.warn(message, fields));
  return { config, sequelize: createSequelize(config), redis: redisConnection(config, role), logger };
}

/** Closes what `openScriptContext` opened and writes the pending log lines. */
export async function closeScriptContext(ctx: ScriptContext): Promise<void> {
  await ctx.sequelize.close().catch(() => undefined);
  ctx.redis.disconnect();
  await stopTracing();
  await statsd.close();
  await flushLogger();
}
