import type { Redis } from 'ioredis';
import { quitRedis } from '../db/redis';
import { ThrottledWarning } from '../log/throttled-warning';
import type { Session } from './session-keys';

export interface SessionCacheOptions {
  /** How long a session read from Redis is served from memory; the backstop for a lost invalidation. */
  ttlMs: number;
  /** Sessions kept in memory at most; the oldest is dropped first. */
  maxEntries: number;
  /**
   * How long after it was last read from Redis a session is still accepted
   * while Redis cannot be reached (auth.session_outage_grace_ms); 0 turns
   * the outage fallback off.
   */
  outageGraceMs?: number;
}

interface Entry {
  session: Session;
  /** Date.now() after which the entry is not served in normal operation. */
  until: number;
  /** The subscription the entry was cached under: one made before the channel dropped is not served normally. */
  generation: number;
  /** When it was last read from Redis: the outage fallback serves it for the grace after that. */
  validatedAt: number;
  /** The session's own end (login + TTL): never served past it. */
  expiresAt: number;
}

/** What a revocation publishes: one session by its digest, or every session of a staff member. */
type Invalidation = { digest: string } | { staffId: number };

const warning = new ThrottledWarning(
  'the session invalidation channel is down; sessions are read from Redis on every request until it is back',
  'auth.session_cache.channel_down',
  undefined,
  'redis',
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
 *
 * Outage fallback: when Redis cannot be read, a session read from it within
 * `outageGraceMs` is still accepted (`lastKnown`), so a short Redis outage
 * does not log out everyone who is working. The trade-off: a revocation made
 * by hand in Redis just before the outage, or one whose message was lost,
 * is honoured when Redis is back rather than at once; revocations through
 * tandem cannot be made during the outage at all (they need Redis and fail
 * with 503). Entries kept for the fallback are never served in normal
 * operation once the channel has dropped (a generation counter): they may
 * have missed a revocation.
 */
export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  private epoch = 0;
  private generation = 0;
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
    if (entry.until > now && entry.generation === this.generation) return entry.session;
    if (!this.keptForOutage(entry, now)) this.entries.delete(digest);
    return undefined;
  }

  /** Redis no longer holds this session (expired or revoked): it must not outlive it here. */
  forget(digest: string): void {
    this.entries.delete(digest);
  }

  /** A session read from Redis within the outage grace, for when Redis cannot be read now. */
  lastKnown(digest: string, now: number): Session | undefined {
    const entry = this.entries.get(digest);
    return entry && this.keptForOutage(entry, now) ? entry.session : undefined;
  }

  private keptForOutage(entry: Entry, now: number): boolean {
    const grace = this.options.outageGraceMs ?? 0;
    return grace > 0 && now - entry.validatedAt <= grace && now < entry.expiresAt;
  }

  /**
   * Caches a session read from Redis, unless an invalidation arrived since
   * `epoch`: served normally until `until` (when subscribed), and kept for
   * the outage fallback until `expiresAt` at most.
   */
  store(digest: string, session: Session, epoch: number, until: number, expiresAt: number = until): void {
    if (epoch !== this.epoch) return;
    const now = Date.now();
    const servable = this.subscribed ? Math.min(now + this.options.ttlMs, until) : 0;
    if (servable === 0 && !(this.options.outageGraceMs ?? 0)) return;
    this.entries.delete(digest);
    this.entries.set(digest, { session, until: servable, generation: this.generation, validatedAt: now, expiresAt });
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

  /** The channel dropped: nothing cached so far is served normally again (it may have missed a revocation). */
  private forgetAll(): void {
    this.subscribed = false;
    this.epoch += 1;
    this.generation += 1;
  }

  /** Stops listening and forgets everything. */
  async close(): Promise<void> {
    this.closed = true;
    this.forgetAll();
    this.entries.clear();
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
