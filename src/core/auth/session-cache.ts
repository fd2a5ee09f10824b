import type { Redis } from 'ioredis';
import { quitRedis } from '../db/redis';
import { ThrottledWarning } from '../log/throttled-warning';
import type { Session } from './sessions';

export interface SessionCacheOptions {
  /** How long a session read from Redis is served from memory; the backstop for a lost invalidation. */
  ttlMs: number;
  /** Sessions kept in memory at most; the oldest is dropped first. */
  maxEntries: number;
}

interface Entry {
  session: Session;
  /** Date.now() after which the entry is not served. */
  until: number;
}

/** What a revocation publishes: one session by its digest, or every session of a staff member. */
type Invalidation = { digest: string } | { staffId: number };

const warning = new ThrottledWarning(
  'the session invalidation channel is down; sessions are read from Redis on every request until it is back',
  'auth.session_cache.channel_down',
);

/**
 * Recently read sessions kept in this process, so that a logged-in request
 * costs no Redis round trip for its session. Every revocation, by any
 * process, is published on a Redis channel and drops the entry at once in
 * every process that listens, so logout and disabling still take effect
 * across instances as fast as Redis delivers a message.
 *
 * Safety rules:
 * - Nothing is served from memory unless this process is subscribed right
 *   now: until the subscription is confirmed, and from the moment its
 *   connection drops (when everything cached is forgotten), every read goes
 *   to Redis.
 * - A read that started before an invalidation arrived is not cached (an
 *   epoch counter), so a revoked session cannot be put back by a slow read.
 * - Entries live `ttlMs` at most and never past the session's own expiry:
 *   a revocation that bypasses tandem (a key deleted by hand) or a message
 *   lost on a half-open connection is served at most that long.
 */
export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  private epoch = 0;
  private subscriber: Redis | undefined;
  private subscribed = false;
  private closed = false;
  private readonly channel: string;

  constructor(
    private readonly redis: Redis,
    private readonly options: SessionCacheOptions,
  ) {
    // ioredis prefixes keys, not channels: the prefix keeps deployments that share a Redis apart.
    this.channel = `${redis.options.keyPrefix ?? ''}session-revoked`;
  }

  /** Starts listening for revocations (once); entries are served once the subscription is confirmed. */
  listen(): void {
    if (this.subscriber || this.closed || this.options.ttlMs <= 0) return;
    // A connection of its own: a subscribed connection can run no other command.
    const subscriber = this.redis.duplicate({
      autoResubscribe: false,
      enableOfflineQueue: true,
      lazyConnect: true,
      connectionName: `${this.redis.options.connectionName ?? 'tandem'}:sessions`,
    });
    this.subscriber = subscriber;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.apply(parseInvalidation(message));
    });
    subscriber.on('error', (err: Error) => warning.warn({ error: err.message }));
    subscriber.on('close', () => this.forgetAll());
    // Messages published while the connection was down are lost: subscribe again (and only then
    // serve from memory) on every (re)connection.
    subscriber.on('ready', () => {
      subscriber.subscribe(this.channel).then(
        () => {
          if (!this.closed && subscriber.status === 'ready') this.subscribed = true;
        },
        (err: unknown) => warning.warn({ error: err instanceof Error ? err.message : String(err) }),
      );
    });
    subscriber.connect().catch(() => undefined);
  }

  /** The epoch to hand back to `store`: a read started now may be cached only if no invalidation comes first. */
  begin(): number {
    return this.epoch;
  }

  /** The cached session of a digest, if it may be served. */
  get(digest: string, now: number): Session | undefined {
    if (!this.subscribed) return undefined;
    const entry = this.entries.get(digest);
    if (!entry) return undefined;
    if (entry.until > now) return entry.session;
    this.entries.delete(digest);
    return undefined;
  }

  /** Caches a session read from Redis, unless an invalidation arrived since `epoch`. */
  store(digest: string, session: Session, epoch: number, expiresAt: number): void {
    if (!this.subscribed || epoch !== this.epoch) return;
    const until = Math.min(Date.now() + this.options.ttlMs, expiresAt);
    this.entries.delete(digest);
    this.entries.set(digest, { session, until });
    if (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /**
   * Drops a revoked session (or all of a staff member's) here at once, and
   * returns the channel and message that tell every other process: the
   * caller publishes it in the same MULTI as the revocation itself.
   */
  revocation(what: Invalidation): [channel: string, message: string] {
    this.apply(what);
    return [this.channel, 'digest' in what ? `d:${what.digest}` : `s:${what.staffId}`];
  }

  private apply(what: Invalidation | undefined): void {
    this.epoch += 1;
    if (what === undefined) {
      // A message we cannot read may have been a revocation: forget everything.
      this.entries.clear();
    } else if ('digest' in what) {
      this.entries.delete(what.digest);
    } else {
      for (const [digest, entry] of this.entries) {
        if (entry.session.staff_id === what.staffId) this.entries.delete(digest);
      }
    }
  }

  private forgetAll(): void {
    this.subscribed = false;
    this.epoch += 1;
    this.entries.clear();
  }

  /** Stops listening and forgets everything. */
  async close(): Promise<void> {
    this.closed = true;
    this.forgetAll();
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (!subscriber) return;
    subscriber.removeAllListeners('ready');
    await quitRedis(subscriber);
  }
}

function parseInvalidation(message: string): Invalidation | undefined {
  if (message.startsWith('d:')) return { digest: message.slice(2) };
  if (message.startsWith('s:')) {
    const staffId = Number(message.slice(2));
    return Number.isSafeInteger(staffId) ? { staffId } : undefined;
  }
  return undefined;
}
