import { Redis } from 'ioredis';
import { AttemptLimiter } from '../../src/core/auth/rate-limit';
import { freshRedisPrefix } from '../helpers/db';
import { dropKeys, rawRedis } from '../helpers/redis';

/**
 * AttemptLimiter.forgive against the real Redis: one atomic take-back that
 * never goes below zero, never creates a key, and never leaves one without
 * an expiry.
 */

const LIMIT = 5;
const WINDOW_SECONDS = 60;
const PREFIX = 'attempts';

let prefix: string;
let redis: Redis;
let raw: Redis;
let limiter: AttemptLimiter;
let counter = 0;

beforeAll(() => {
  prefix = freshRedisPrefix();
  redis = new Redis(process.env.TANDEM_REDIS_URL ?? 'redis://127.0.0.1:6379/0', {
    keyPrefix: prefix,
    maxRetriesPerRequest: 1,
  });
  raw = rawRedis();
  limiter = new AttemptLimiter(redis, PREFIX, LIMIT, WINDOW_SECONDS);
});

afterAll(async () => {
  await dropKeys(raw, prefix);
  redis.disconnect();
  raw.disconnect();
});

/** A key of its own for each test, and its full name in Redis (rate-limiter-flexible joins with ':'). */
function newKey(): { key: string; stored: string } {
  counter += 1;
  const key = `k${counter}`;
  return { key, stored: `${prefix}${PREFIX}:${key}` };
}

async function countOf(stored: string): Promise<{ count: string | null; ttlMs: number }> {
  const [count, ttlMs] = await Promise.all([raw.get(stored), raw.pttl(stored)]);
  return { count, ttlMs };
}

describe('AttemptLimiter.forgive', () => {
  it('when 3 attempts are counted and one is forgiven, then 2 are left and the window keeps its expiry', async () => {
    const { key, stored } = newKey();
    for (let i = 0; i < 3; i += 1) expect(await limiter.attempt(key)).toEqual({ allowed: true });
    const before = await raw.pttl(stored);

    await limiter.forgive(key);

    const after = await countOf(stored);
    expect(after.count).toBe('2');
    expect(after.ttlMs).toBeGreaterThan(0);
    expect(after.ttlMs).toBeLessThanOrEqual(before);
  });

  it('when the key is absent (its window ended), then forgive creates no key (the library reward would set -1 for a new window)', async () => {
    const { key, stored } = newKey();
    await limiter.attempt(key);
    // What the window's expiry does, without waiting for it.
    await raw.del(stored);

    await limiter.forgive(key);

    expect(await raw.exists(stored)).toBe(0);
    // The next window starts at 1, not at 0 (a key created at -1 would have allowed one more attempt).
    await limiter.attempt(key);
    expect(await countOf(stored)).toEqual({ count: '1', ttlMs: expect.any(Number) as number });
  });

  it('when the count is 0, then forgive leaves it at 0', async () => {
    const { key, stored } = newKey();
    await limiter.attempt(key);
    await limiter.forgive(key);
    await limiter.forgive(key);
    const after = await countOf(stored);
    expect(after.count).toBe('0');
    expect(after.ttlMs).toBeGreaterThan(0);
  });

  it('when 2 attempts are counted and 6 forgives run at once, then the count is 0, not below (a read then a reward went to -4)', async () => {
    const { key, stored } = newKey();
    await limiter.attempt(key);
    await limiter.attempt(key);

    await Promise.all(Array.from({ length: 6 }, () => limiter.forgive(key)));

    expect((await countOf(stored)).count).toBe('0');
  });

  it('when a key has no expiry (written by hand or by an old version), then forgive takes one back and gives it the window as expiry', async () => {
    const { key, stored } = newKey();
    await raw.set(stored, '4');

    await limiter.forgive(key);

    const after = await countOf(stored);
    expect(after.count).toBe('3');
    expect(after.ttlMs).toBeGreaterThan(0);
    expect(after.ttlMs).toBeLessThanOrEqual(WINDOW_SECONDS * 1000);
  });

  it('when a count is forgiven, then the limiter sends Redis one command for it (one script: nothing can happen between its read and its write)', async () => {
    const { key, stored } = newKey();
    await limiter.attempt(key);
    await limiter.attempt(key);
    const monitor = await new Redis(process.env.TANDEM_REDIS_URL ?? 'redis://127.0.0.1:6379/0', {
      lazyConnect: true,
    }).monitor();
    const commands: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      // Commands run by a script are shown with the source "lua": the script's own steps.
      if (source !== 'lua' && args.some((a) => a === stored)) commands.push(args);
    });
    try {
      await limiter.forgive(key);
      // MONITOR output comes on another connection, after the command's own reply.
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      monitor.disconnect();
    }

    expect(commands.map((c) => (c[0] ?? '').toLowerCase())).toEqual(['evalsha']);
    expect((await countOf(stored)).count).toBe('1');
  });

  it('when a count is forgiven and then more attempts come, then the limit still refuses the attempt beyond it', async () => {
    const { key } = newKey();
    await limiter.attempt(key);
    await limiter.forgive(key);
    const verdicts = [];
    for (let i = 0; i < LIMIT + 1; i += 1) verdicts.push((await limiter.attempt(key)).allowed);
    expect(verdicts).toEqual([...Array<boolean>(LIMIT).fill(true), false]);
  });
});
