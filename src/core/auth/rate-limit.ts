import type { Redis } from 'ioredis';

/**
 * Counts failures per key in a fixed window (INCR + EXPIRE in Redis). A key
 * with `limit` failures is blocked until its window ends.
 */
export class FailureLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly limit: number,
    private readonly windowSeconds: number,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:${id}`;
  }

  /** Seconds until the key may try again, or 0 when it is not blocked. */
  async blockedFor(id: string): Promise<number> {
    const [[, count], [, ttl]] = (await this.redis.multi().get(this.key(id)).ttl(this.key(id)).exec()) as [
      [Error | null, string | null],
      [Error | null, number],
    ];
    if (count === null || Number(count) < this.limit) return 0;
    return ttl > 0 ? ttl : this.windowSeconds;
  }

  async fail(id: string): Promise<void> {
    await this.redis.multi().incr(this.key(id)).expire(this.key(id), this.windowSeconds, 'NX').exec();
  }

  async reset(id: string): Promise<void> {
    await this.redis.del(this.key(id));
  }
}
