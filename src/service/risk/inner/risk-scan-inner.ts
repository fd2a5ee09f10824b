import type { Redis } from 'ioredis';

/** The Redis key of the scan's zeus cursor (under the app's key prefix). */
export const CURSOR_KEY = 'risk:scan:cursor';
const PHONE_KEY_TTL_MS = 7 * 24 * 3600_000;

/** Moves the cursor only if nobody moved it since it was read: two scans never move it backwards. */
const COMPARE_AND_SET = `
local current = redis.call('get', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
redis.call('set', KEYS[1], ARGV[2])
return 1`;

/**
 * The scan's state in Redis: the zeus cursor, and per phone the recent
 * orders (a sorted set by order time, members are order ids, so reading one
 * order twice never counts it twice).
 */
export class RiskScanInner {
  constructor(private readonly redis: Redis) {}

  async cursor(): Promise<string> {
    return (await this.redis.get(CURSOR_KEY)) ?? '';
  }

  /** True when the cursor moved from `expected` to `next`; false when another scan moved it first. */
  async advance(expected: string, next: string): Promise<boolean> {
    return (await this.redis.eval(COMPARE_AND_SET, 1, CURSOR_KEY, expected, next)) === 1;
  }

  /**
   * Records an order of a phone and counts that phone's orders in
   * [at - windowMs, at], this one included.
   */
  async countPhoneWindow(phone: string, orderId: string, at: Date, windowMs: number): Promise<number> {
    const key = `risk:phone:${phone}`;
    const ms = at.getTime();
    // Entries are trimmed by order time, not by the clock, so a burst that spans a long zeus outage is
    // still seen once the scan catches up; the expiry only drops phones that stopped ordering.
    const results = await this.redis
      .multi()
      .zadd(key, ms, orderId)
      .zcount(key, ms - windowMs, ms)
      .zremrangebyscore(key, '-inf', ms - windowMs * 2)
      .pexpire(key, PHONE_KEY_TTL_MS)
      .exec();
    const count = results?.[1]?.[1];
    return typeof count === 'number' ? count : Number(count ?? 0);
  }
}
