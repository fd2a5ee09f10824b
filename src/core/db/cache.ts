import type { Redis } from 'ioredis';
import { ThrottledWarning } from '../log/throttled-warning';
import { statsd } from '../monitor';

export interface CacheOptions {
  /** Time to live in seconds; each write adds up to `jitter` of it at random. */
  ttlSeconds: number;
  /** Fraction of the TTL added at random so keys written together do not expire together. Default 0.1. */
  jitter?: number;
}

/**
 * Cache-aside over Redis with JSON values. A miss loads from the source once
 * per key at a time in this process (concurrent callers share one load). A
 * Redis failure is logged (once a minute) and counted, and the read falls
 * through to the source: a cache outage never fails a request.
 */
export class Cache {
  private readonly loading = new Map<string, Promise<unknown>>();
  private readonly failure: ThrottledWarning;

  constructor(
    private readonly redis: Redis,
    private readonly metric = 'cache',
  ) {
    this.failure = new ThrottledWarning(
      'cache unavailable; reading from the source',
      `${metric}.error`,
      undefined,
      'redis',
    );
  }

  private onError(op: string, key: string, err: unknown): void {
    this.failure.warn({ op, key, error: err instanceof Error ? err.message : String(err) });
  }

  /** The cached value, or undefined on a miss or a Redis failure. */
  async get<T>(key: string): Promise<T | undefined> {
    try {
      const raw = await this.redis.get(key);
      return raw === null ? undefined : (JSON.parse(raw) as T);
    } catch (err) {
      this.onError('get', key, err);
      return undefined;
    }
  }

  async set(key: string, value: unknown, options: CacheOptions): Promise<void> {
    const jitter = options.jitter ?? 0.1;
    const ttl = Math.max(1, Math.round(options.ttlSeconds * (1 + Math.random() * jitter)));
    try {
      await this.redis.set(key, JSON.stringify(value), 'EX', ttl);
    } catch (err) {
      this.onError('set', key, err);
    }
  }

  /** Drops keys after a write; a failure is logged, and the TTL bounds how stale a value can get. */
  async invalidate(...keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      await this.redis.del(...keys);
    } catch (err) {
      this.onError('del', keys.join(','), err);
    }
  }

  /**
   * The cached value of `key`, or the loader's result, stored for next time.
   * `undefined` from the loader (nothing found) is not cached.
   */
  async getOrLoad<T>(key: string, options: CacheOptions, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const hit = await this.get<T>(key);
    if (hit !== undefined) {
      statsd.increment(`${this.metric}.hit`);
      return hit;
    }
    statsd.increment(`${this.metric}.miss`);
    const pending = this.loading.get(key);
    if (pending) return pending as Promise<T | undefined>;
    const loading = (async () => {
      try {
        const value = await load();
        if (value !== undefined) await this.set(key, value, options);
        return value;
      } finally {
        this.loading.delete(key);
      }
    })();
    this.loading.set(key, loading);
    return loading;
  }
}
