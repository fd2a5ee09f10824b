import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { currentContext } from '../ctx';
import { retryWhileSettling, settleUntil } from '../db/redis';

/** What one attempt was told: go on, or wait this many seconds. */
export type AttemptVerdict =
  | { allowed: true }
  /** `first`: this attempt is the first one refused in its window (the lock just began). */
  | { allowed: false; retryAfterSeconds: number; first: boolean };

/**
 * The library's counting script (rate-limiter-flexible 11, RateLimiterRedis),
 * run as is for a count (consume), and preceded by a branch of our own for a
 * take-back (reward: negative points). The library's reward is its count
 * script with a negative number: on a key that is gone (the window ended) it
 * creates one at -1, which grants an extra attempt in the next window, and
 * it can go below zero on a live key too. Here a take-back on an absent key
 * does nothing (no key is created), never takes the count below zero, and
 * leaves the key's expiry as it is (giving one to a key that somehow has
 * none). GET, INCRBY, PTTL, EXPIRE and SET NX EX only: all in Redis 6.
 * The library defines it on the Redis client under one name (rlflxIncr), so
 * every RateLimiterRedis on a client must be given this same script.
 */
const COUNT_SCRIPT = `
local points = tonumber(ARGV[1])
if points < 0 then
  local current = redis.call('get', KEYS[1])
  if not current then return {0, -2} end
  local consumed = tonumber(current)
  local take = math.min(consumed, -points)
  if take > 0 then consumed = redis.call('incrby', KEYS[1], -take) end
  local ttl = redis.call('pttl', KEYS[1])
  if ttl == -1 then
    redis.call('expire', KEYS[1], ARGV[2])
    ttl = 1000 * ARGV[2]
  end
  return {consumed, ttl}
end
redis.call('set', KEYS[1], 0, 'EX', ARGV[2], 'NX')
local consumed = redis.call('incrby', KEYS[1], ARGV[1])
local ttl = redis.call('pttl', KEYS[1])
if ttl == -1 then
  redis.call('expire', KEYS[1], ARGV[2])
  ttl = 1000 * ARGV[2]
end
return {consumed, ttl}
`;

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
 *
 * With `settleMs` (behind Sentinels), a count or take-back that fails is
 * tried again while a failover settles, within the request's deadline: a
 * login then waits out the switch instead of failing. A count whose answer
 * was lost may count twice: the safe side for a limit.
 */
export class AttemptLimiter {
  private readonly limiter: RateLimiterRedis;

  constructor(
    redis: Redis,
    prefix: string,
    limit: number,
    windowSeconds: number,
    private readonly settleMs = 0,
  ) {
    this.limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: prefix,
      points: limit,
      duration: windowSeconds,
      customIncrTtlLuaScript: COUNT_SCRIPT,
    });
  }

  /** Counts one attempt for `key`; beyond the limit it is refused until the window ends. */
  async attempt(key: string): Promise<AttemptVerdict> {
    try {
      await this.settling(() => this.limiter.consume(key));
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

  /**
   * Takes back one counted attempt (it succeeded), never below zero, in one
   * script: a read and then a separate reward could take back, after the
   * window ended in between, a count of the next window or create a key at -1.
   */
  async forgive(key: string): Promise<void> {
    await this.settling(() => this.limiter.reward(key, 1));
  }

  /** Forgets every attempt of `key`: a lock on it is lifted. */
  async clear(key: string): Promise<void> {
    await this.settling(() => this.limiter.delete(key));
  }

  /** Runs a Redis call, again while a failover settles; a refusal (over the limit) is an answer, not a failure. */
  private settling<T>(call: () => Promise<T>): Promise<T> {
    if (this.settleMs <= 0) return call();
    const giveUpAt = settleUntil(this.settleMs, currentContext()?.deadlineAt);
    return retryWhileSettling(giveUpAt, call, (err) => err instanceof RateLimiterRes);
  }

  /** Seconds until `key` may try again, or 0 when it is not locked. */
  async lockedFor(key: string): Promise<number> {
    const res = await this.limiter.get(key);
    // At the limit, the next attempt is over it: locked.
    if (!res || res.consumedPoints < this.limiter.points) return 0;
    return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  }
}
