import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RedisLock } from '../../src/core/db/lock';
import { redisConnection } from '../../src/core/db/redis';
import { testConfig } from '../helpers/app';
import { freshRedisPrefix } from '../helpers/db';
import { dropKeys, rawRedis } from '../helpers/redis';

const prefix = freshRedisPrefix();
const raw = rawRedis();
let redis: Redis;
let lock: RedisLock;

beforeAll(async () => {
  redis = redisConnection(testConfig({ redis: { key_prefix: prefix } }), 'lock-test');
  await redis.connect();
  lock = new RedisLock(redis);
});

afterAll(async () => {
  redis.disconnect();
  await dropKeys(raw, prefix);
  raw.disconnect();
});

describe('a Redis lock taken again after an attempt whose answer was lost', () => {
  it('when its owner tries again with the same token, then the lock is found held by that owner and releases', async () => {
    const token = randomUUID();
    // The first attempt's write took effect; its answer never reached the owner.
    await redis.set('lock:retry', token, 'PX', 10_000, 'NX');

    const held = await lock.acquire('lock:retry', 10_000, token);

    expect(held?.token).toBe(token);
    expect(await held?.release()).toBe(true);
    expect(await raw.exists(`${prefix}lock:retry`)).toBe(0);
  });

  it('when someone else tries while the owner holds it, then they do not get it and it stays with the owner', async () => {
    const owner = await lock.acquire('lock:taken', 10_000);

    expect(await lock.acquire('lock:taken', 10_000)).toBeUndefined();
    expect(await lock.acquire('lock:taken', 10_000, randomUUID())).toBeUndefined();
    expect(await raw.get(`${prefix}lock:taken`)).toBe(owner?.token);
  });
});
