import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/** What one attempt was told: go on, or wait this many seconds. */
export type AttemptVerdict =
  | { allowed: true }
  /** `first`: this attempt is the first one refused in its window (the lock just began). */
  | { allowed: false; retryAfterSeconds: number; first: boolean };

/**
 * Counts attempts per key in a fixed window, in Redis, with
 * rate-limiter-flexible: one Lua script per attempt both counts it and says
 * whether it is over the limit, so concurrent attempts cannot all read
 * "under the limit" before any of them is counted (as a read, then a
 * separate write, allowed). The script uses SET NX EX, INCRBY and PTTL
 * only, which Redis 6 has.
 *
 * An attempt is counted before it is checked; a success takes its count back
 * (`forgive`) or clears the key (`clear`).
 */
export class AttemptLimiter {
  private readonly limiter: RateLimiterRedis;

  constructor(redis: Redis, prefix: string, limit: number, windowSeconds: number) {
    this.limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: prefix,
      points: limit,
      duration: windowSeconds,
    });
  }

  /** Counts one attempt for `key`; beyond the limit it is refused until the window ends. */
  async attempt(key: string): Promise<AttemptVerdict> {
    try {
      await this.limiter.consume(key);
      return { allowed: true };
    } catch (rejection) {
      // The library rejects with a RateLimiterRes when over the limit, and with the Redis error otherwise.
      if (rejection instanceof RateLimiterRes) {
        return {
          allowed: false,
          retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)),
          first: rejection.consumedPoints === this.limiter.points + 1,
        };
      }
      throw rejection;
    }
  }

  /** Takes back one counted attempt (it succeeded), never below zero. */
  async forgive(key: string): Promise<void> {
    const res = await this.limiter.get(key);
    if (res && res.consumedPoints > 0) await this.limiter.reward(key, 1);
  }

  /** Forgets every attempt of `key`: a lock on it is lifted. */
  async clear(key: string): Promise<void> {
    await this.limiter.delete(key);
  }

  /** Seconds until `key` may try again, or 0 when it is not locked. */
  async lockedFor(key: string): Promise<number> {
    const res = await this.limiter.get(key);
    // At the limit, the next attempt is over it: locked.
    if (!res || res.consumedPoints < this.limiter.points) return 0;
    return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  }
}
