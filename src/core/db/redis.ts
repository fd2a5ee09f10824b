import { Redis } from 'ioredis';
import type { Config } from '../config';
import { logger } from '../log';

/**
 * A Redis client for cache, locks, counters and sessions. Commands fail fast
 * while Redis is unreachable (no offline queue) so that cached reads can fall
 * through to MySQL instead of waiting; the client reconnects by itself.
 */
export function createRedis(config: Config, name = 'main'): Redis {
  const client = new Redis(config.redis.url, {
    keyPrefix: config.redis.key_prefix,
    commandTimeout: config.redis.command_timeout_ms,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: true,
    connectionName: `${config.service_name}:${name}`,
    // Commands issued in the same tick go out in one write: under concurrency a request's session
    // and cache reads share syscalls with other requests' (ioredis' documented auto-pipelining).
    enableAutoPipelining: true,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  let warned = false;
  client.on('error', (err: Error) => {
    if (warned) return;
    warned = true;
    logger.warn('redis connection failed; retrying in the background', { client: name, error: err.message });
  });
  client.on('ready', () => {
    if (warned) logger.info('redis connection is back', { client: name });
    warned = false;
  });
  return client;
}

/** QUIT when connected, else drop the socket: a down Redis must not hold up the stop. */
export async function quitRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    await Promise.race([redis.quit(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]).catch(
      () => undefined,
    );
  }
  redis.disconnect();
}
