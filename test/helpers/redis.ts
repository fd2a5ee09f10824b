import { Redis } from 'ioredis';

/** A plain client on the test Redis without a key prefix, for reading and cleaning a test's keys. */
export function rawRedis(): Redis {
  return new Redis(process.env.TANDEM_REDIS_URL ?? 'redis://127.0.0.1:6379/0', { maxRetriesPerRequest: 1 });
}

/** Deletes every key under `prefix` (a test file's own prefix). */
export async function dropKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
