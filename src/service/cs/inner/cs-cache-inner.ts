import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Cache } from '../../../core/db/cache';
import { ThrottledWarning } from '../../../core/log/throttled-warning';
import type { CsEvent, CsStatus } from '../cs-types';

const EVENT_TTL_SECONDS = 300;
const STATS_KEY = 'cs:stats';
const STATS_VERSION_KEY = 'cs:stats:version';
const STATS_TTL_SECONDS = 600;
const STATS_WRITING_KEY = 'cs:stats:writers';
/** A write that began and never ended (its process died) keeps counts out of the cache for at most this long. */
const STATS_WRITING_TTL_MS = 30_000;

/**
 * A writer marks itself under way before its transaction. Until it ends, a
 * count made in MySQL may or may not include its change, so it is not cached
 * (otherwise the writer's delta, applied after, would count it twice). Each
 * writer is its own member of a sorted set, scored by when its mark lapses:
 * a write that never ends (its process died, its transaction rolled back
 * elsewhere) lapses on its own, and later writers cannot keep it alive.
 */
const BEGIN_WRITE = `
redis.call('zadd', KEYS[1], ARGV[1], ARGV[2])
redis.call('pexpire', KEYS[1], ARGV[3])
return 1`;

/**
 * A writer ends: it bumps the version, drops its mark if it made one, and,
 * when the counts are cached, applies its deltas; all in one script, so a
 * reader can tell that a write happened while it was counting. KEYS[4], when
 * given, is the changed event's cache entry, dropped in the same round trip.
 */
const APPLY_DELTAS = `
redis.call('incr', KEYS[2])
if ARGV[1] ~= '' then redis.call('zrem', KEYS[3], ARGV[1]) end
if redis.call('exists', KEYS[1]) == 1 then
  for i = 2, #ARGV, 2 do redis.call('hincrby', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
if KEYS[4] then redis.call('del', KEYS[4]) end
return 1`;

/**
 * The scripts as ioredis commands: sent by their SHA1 (EVALSHA), the body
 * only once per connection, where `eval` sends the whole body with every write.
 */
interface StatsCommands {
  csBeginWrite(key: string, lapsesAt: string, token: string, ttlMs: string): Promise<unknown>;
  csApplyDeltas(keys: number, ...keysAndArgs: string[]): Promise<unknown>;
  csStoreCounts(...keysAndArgs: string[]): Promise<unknown>;
}

/** Stores freshly counted values only if no write happened since the count began and none is under way. */
const STORE_IF_UNCHANGED = `
local current = redis.call('get', KEYS[2]) or '0'
if current ~= ARGV[1] then return 0 end
redis.call('zremrangebyscore', KEYS[3], '-inf', ARGV[3])
if redis.call('zcard', KEYS[3]) > 0 then return 0 end
redis.call('del', KEYS[1])
for i = 4, #ARGV, 2 do redis.call('hset', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('hset', KEYS[1], '_', '0')
redis.call('expire', KEYS[1], ARGV[2])
return 1`;

/** Redis data of the cs domain: the event cache and the per-status counts. */
export class CsCacheInner {
  private readonly failure = new ThrottledWarning(
    'cs stats cache unavailable; counting in MySQL',
    'cs.stats.cache_error',
    undefined,
    'redis',
  );

  private readonly scripts: StatsCommands;

  constructor(
    private readonly redis: Redis,
    private readonly cache: Cache,
    /** How long a write that never ends keeps counts out of the cache. */
    private readonly writingTtlMs = STATS_WRITING_TTL_MS,
  ) {
    redis.defineCommand('csBeginWrite', { numberOfKeys: 1, lua: BEGIN_WRITE });
    // The number of keys comes with each call: 3, or 4 with the event's cache entry.
    redis.defineCommand('csApplyDeltas', { lua: APPLY_DELTAS });
    redis.defineCommand('csStoreCounts', { numberOfKeys: 3, lua: STORE_IF_UNCHANGED });
    this.scripts = redis as unknown as StatsCommands;
  }

  eventKey(id: number): string {
    return `cs:event:${id}`;
  }

  getEvent(id: number, load: () => Promise<CsEvent | undefined>): Promise<CsEvent | undefined> {
    return this.cache.getOrLoad(this.eventKey(id), { ttlSeconds: EVENT_TTL_SECONDS }, load);
  }

  forgetEvent(id: number): Promise<void> {
    return this.cache.invalidate(this.eventKey(id));
  }

  private onError(op: string, err: unknown): void {
    this.failure.warn({ op, error: err instanceof Error ? err.message : String(err) });
  }

  /**
   * Marks a write that may change the counts as under way; call
   * `applyDeltas` with the result once it committed or failed. Undefined
   * when Redis could not be told.
   */
  async beginWrite(): Promise<string | undefined> {
    const token = randomUUID();
    try {
      await this.scripts.csBeginWrite(
        STATS_WRITING_KEY,
        String(Date.now() + this.writingTtlMs),
        token,
        String(this.writingTtlMs),
      );
      return token;
    } catch (err) {
      this.onError('begin', err);
      return undefined;
    }
  }

  /**
   * Ends a write begun with `beginWrite` (`began` is what it returned) and
   * applies its status deltas (e.g. pending -1, done +1); no deltas when it
   * failed. `forget` names an event whose cache entry the write made stale.
   */
  async applyDeltas(
    deltas: Partial<Record<CsStatus, number>>,
    began: string | undefined,
    forget?: number,
  ): Promise<void> {
    const args = Object.entries(deltas).flatMap(([status, n]) => (n ? [status, String(n)] : []));
    const keys = [STATS_KEY, STATS_VERSION_KEY, STATS_WRITING_KEY];
    if (forget !== undefined) keys.push(this.eventKey(forget));
    try {
      await this.scripts.csApplyDeltas(keys.length, ...keys, began ?? '', ...args);
    } catch (err) {
      this.onError('apply', err);
      // Without the delta the cached counts would be wrong: drop them, and the stale entry (best effort;
      // the TTLs bound the rest).
      await this.redis
        .del(...keys.filter((k) => k !== STATS_VERSION_KEY && k !== STATS_WRITING_KEY))
        .catch(() => undefined);
    }
  }

  /** The cached counts, or undefined on a miss or a Redis failure. */
  async getCounts(): Promise<{ counts: Record<string, number> } | { miss: true; version: string | undefined }> {
    try {
      const [[, hash], [, version]] = (await this.redis.multi().hgetall(STATS_KEY).get(STATS_VERSION_KEY).exec()) as [
        [Error | null, Record<string, string>],
        [Error | null, string | null],
      ];
      if (hash && Object.keys(hash).length > 0) {
        const counts: Record<string, number> = {};
        for (const [k, v] of Object.entries(hash)) if (k !== '_') counts[k] = Number(v);
        return { counts };
      }
      return { miss: true, version: version ?? '0' };
    } catch (err) {
      this.onError('get', err);
      return { miss: true, version: undefined };
    }
  }

  /** Caches counts made from MySQL, unless a write landed since `version` was read or one is under way. */
  async storeCounts(version: string, counts: Record<string, number>): Promise<void> {
    const args = Object.entries(counts).flatMap(([k, v]) => [k, String(v)]);
    try {
      await this.scripts.csStoreCounts(
        STATS_KEY,
        STATS_VERSION_KEY,
        STATS_WRITING_KEY,
        version,
        String(STATS_TTL_SECONDS),
        String(Date.now()),
        ...args,
      );
    } catch (err) {
      this.onError('store', err);
    }
  }
}
