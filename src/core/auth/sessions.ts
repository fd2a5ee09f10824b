import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ServerError } from '../../exception';
import { currentContext } from '../ctx';
import { acknowledgedByReplicas, quitRedis, type ReplicaWait, retryWhileSettling, settleUntil } from '../db/redis';
import { logger } from '../log';
import { outages } from '../log/outage';
import { statsd } from '../monitor';
import { SessionCache, type SessionCacheOptions } from './session-cache';
import { SessionJournal } from './session-journal';
import { digestOf, parseSession, type Session, sessionKey, staffKey } from './session-keys';

export { type Session, sessionKeyOfToken } from './session-keys';

/**
 * Sessions whose creation must survive a failover: the replicas that must
 * acknowledge each (WAIT) and the connection it is written and waited on.
 */
export interface AcknowledgedWrites extends ReplicaWait {
  /**
   * A connection of the sessions' own: WAIT blocks its connection until the
   * replicas answer, and on the shared one every session and cache read
   * would queue behind it (up to wait_timeout_ms per login while a replica
   * resyncs after a failover). WAIT only counts the writes of its own
   * connection, so the session is written on it too. Closed with the store.
   * The shared connection when absent.
   */
  connection?: Redis;
  /** How long a session write goes on trying while a failover settles (failoverSettleMsOf); 0: one try. */
  settleMs?: number;
}

/**
 * How a live session is re-confirmed against the accounts table: every
 * `everySeconds`, the account's current roles are read; `undefined` means the
 * account is disabled or gone, and the session ends.
 */
export interface SessionRecheck {
  everySeconds: number;
  currentRoles: (staffId: number) => Promise<string[] | undefined>;
}

/** How often a live session re-reads its account unless the domain says otherwise. */
export const DEFAULT_RECHECK_SECONDS = 60;

/** How long a new session is kept for a replay after a failover (see SessionJournal), with replicas asked for. */
const JOURNAL_MS = 10_000;

/** No in-process session cache: every request reads its session from Redis. */
const NO_CACHE: SessionCacheOptions = { ttlMs: 0, maxEntries: 0 };

/**
 * Revocable session tokens in Redis with an expiry. A token is 32 random
 * bytes; Redis keys it by its SHA-256. Each staff member's sessions are also
 * listed, so disabling them ends every session at once.
 *
 * With a `recheck`, a session also re-reads its account every
 * `recheck.everySeconds`: a session of an account disabled while Redis could
 * not revoke it (or created in a race with the disable) ends within that
 * interval, and role changes take effect within it. Requests in between cost
 * no database read.
 *
 * With `cache` options, sessions read are also kept in this process for a
 * short while (see SessionCache): then a request costs no Redis read either.
 * Every revocation is published whatever the options, so that the processes
 * that do cache drop the session at once.
 */
export class SessionStore {
  private readonly cache: SessionCache;
  private readonly journal: SessionJournal;

  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
    private readonly recheck?: SessionRecheck,
    cache: SessionCacheOptions = NO_CACHE,
    private readonly replicas: AcknowledgedWrites = { replicas: 0, timeoutMs: 0 },
  ) {
    this.cache = new SessionCache(redis, cache);
    this.journal = new SessionJournal(redis, replicas.replicas > 0 ? JOURNAL_MS : 0);
  }

  private unavailable(err: unknown): ServerError {
    return new ServerError('CACHE_ERROR', { cause: err });
  }

  async create(session: Omit<Session, 'created_at' | 'checked_at'>): Promise<{ token: string; expires_in: number }> {
    const token = randomBytes(32).toString('base64url');
    const digest = digestOf(token);
    const now = new Date().toISOString();
    const value: Session = { ...session, created_at: now, checked_at: now };
    await this.writeAcknowledged(digest, value);
    this.journal.add({
      key: sessionKey(digest),
      value: JSON.stringify(value),
      staffKey: staffKey(session.staff_id),
      digest,
      staffId: session.staff_id,
      expiresAt: Date.now() + this.ttlSeconds * 1000,
    });
    return { token, expires_in: this.ttlSeconds };
  }

  /**
   * Writes a new session and, when replicas are asked for, waits until they
   * acknowledge it. A session only the primary holds would vanish in a
   * failover, and a primary just demoted still takes writes no replica keeps:
   * unacknowledged, the login fails (503) rather than hand out a token that
   * may stop working (the unacknowledged copy is never handed to anyone).
   * While a failover settles (the connection switching primaries, the new
   * primary's replica resyncing) the write fails or WAIT finds no replica for
   * a second or two: the login writes again (the same keys and value) while
   * its deadline and SETTLE_MS leave room, instead of failing at the first try.
   */
  private async writeAcknowledged(digest: string, value: Session): Promise<void> {
    const writer = this.replicas.connection ?? this.redis;
    const startedAt = Date.now();
    const giveUpAt = settleUntil(this.replicas.settleMs ?? 0, currentContext()?.deadlineAt);
    let tries = 0;
    try {
      await retryWhileSettling(giveUpAt, async () => {
        tries += 1;
        if (tries > 1) statsd.increment('auth.session.write_retry');
        await writer
          .multi()
          .set(sessionKey(digest), JSON.stringify(value), 'EX', this.ttlSeconds)
          .sadd(staffKey(value.staff_id), digest)
          .expire(staffKey(value.staff_id), this.ttlSeconds)
          .exec();
        // WAIT 0 would block for ever: a last wait shorter than usual still waits at least 1 ms.
        const timeoutMs = Math.max(1, Math.min(this.replicas.timeoutMs, giveUpAt - Date.now()));
        if (await acknowledgedByReplicas(writer, { replicas: this.replicas.replicas, timeoutMs })) return;
        throw new Error(
          `No ${this.replicas.replicas} Redis replica(s) acknowledged a new session (${tries} tries in ${Date.now() - startedAt} ms).`,
        );
      });
    } catch (err) {
      statsd.increment('auth.session.write_failed');
      throw this.unavailable(err);
    }
  }

  /** The live session of a token, or undefined when unknown, expired, revoked or its account is disabled. */
  async get(token: string): Promise<Session | undefined> {
    const digest = digestOf(token);
    // A cached entry ends before the session's next re-check is due (see remember): no check here.
    const cached = this.cache.get(digest, Date.now());
    if (cached) return cached;
    try {
      const session = await this.read(digest);
      if (!session || !this.recheck) return session;
      const checkedAt = Date.parse(session.checked_at ?? session.created_at);
      // A NaN (unreadable time) fails this test too, so it is rechecked.
      if (Date.now() - checkedAt < this.recheck.everySeconds * 1000) return session;
      return await this.reconfirm(this.recheck, digest, session);
    } catch (err) {
      // Redis is unreachable: a session seen within the outage grace keeps working (see SessionCache).
      // Only Redis's own failures (wrapped by `unavailable`) are an outage: any other error is a bug,
      // and serving the last known session would hide it.
      if (!(err instanceof ServerError && err.errorName === 'CACHE_ERROR')) throw err;
      const known = this.cache.lastKnown(digest, Date.now());
      if (!known) throw err;
      statsd.increment('auth.session.served_in_outage');
      outages.down('redis', err instanceof ServerError && err.cause !== undefined ? err.cause : err);
      return known;
    }
  }

  /** Reads a session from Redis, and keeps it in this process's cache when that is on. */
  private async read(digest: string): Promise<Session | undefined> {
    this.cache.listen();
    const epoch = this.cache.begin();
    let raw: string | null;
    try {
      raw = await this.redis.get(sessionKey(digest));
    } catch (err) {
      throw this.unavailable(err);
    }
    if (raw === null) {
      this.cache.forget(digest);
      return undefined;
    }
    const session = parseSession(raw);
    if (!session) {
      await this.dropCorrupt(digest);
      return undefined;
    }
    this.remember(digest, session, epoch);
    return session;
  }

  /**
   * A value under a session key that is not a session (not JSON, or not its
   * shape) was not written by this code: a bug or a hand edit, not an outage.
   * The token gets no session (401), and the key is logged once and deleted,
   * so the next request with it reads nothing and logs nothing.
   */
  private async dropCorrupt(digest: string): Promise<void> {
    this.cache.forget(digest);
    statsd.increment('auth.session.corrupt');
    // The key holds a digest of the token, not the token: it may be logged.
    logger.error('a session value in Redis is not a session; it is deleted and its token answers 401', {
      key: sessionKey(digest),
    });
    try {
      await this.redis.del(sessionKey(digest));
    } catch {
      // Redis failed just after it answered: the key is tried again (and logged again) on the next request.
    }
  }

  /**
   * Caches a session read or re-checked, never past the expiry of its key
   * (ttlSeconds after login; the re-check keeps its TTL) nor past its next
   * re-check, so that a request served from memory needs neither test.
   */
  private remember(digest: string, session: Session, epoch: number): void {
    const expiresAt = Date.parse(session.created_at) + this.ttlSeconds * 1000;
    const recheckAt = this.recheck
      ? Date.parse(session.checked_at ?? session.created_at) + this.recheck.everySeconds * 1000
      : Infinity;
    // An unreadable time (NaN) is not cached: every request then reads and re-checks it.
    if (Number.isFinite(expiresAt) && !Number.isNaN(recheckAt)) {
      this.cache.store(digest, session, epoch, Math.min(expiresAt, recheckAt), expiresAt);
    }
  }

  private async reconfirm(recheck: SessionRecheck, digest: string, session: Session): Promise<Session | undefined> {
    let roles: string[] | undefined;
    try {
      roles = await recheck.currentRoles(session.staff_id);
    } catch (err) {
      // The database is down: keep serving this session and try again on its next request.
      // Noted once per outage, not per request: every session due for its check would log here.
      outages.down('mysql', err);
      return session;
    }
    if (roles === undefined) {
      await this.revokeDigest(digest, session.staff_id);
      return undefined;
    }
    const next: Session = { ...session, roles, checked_at: new Date().toISOString() };
    const epoch = this.cache.begin();
    let written: string | null;
    try {
      // XX: a session revoked meanwhile stays revoked; KEEPTTL: the expiry is unchanged.
      written = await this.redis.set(sessionKey(digest), JSON.stringify(next), 'KEEPTTL', 'XX');
    } catch (err) {
      throw this.unavailable(err);
    }
    if (written === null) return undefined;
    this.remember(digest, next, epoch);
    return next;
  }

  private async revokeDigest(digest: string, staffId: number): Promise<void> {
    this.journal.forget(digest);
    try {
      await this.redis
        .multi()
        .del(sessionKey(digest))
        .srem(staffKey(staffId), digest)
        .publish(...this.cache.revocation({ digest }))
        .exec();
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  revoke(token: string, staffId: number): Promise<void> {
    return this.revokeDigest(digestOf(token), staffId);
  }

  /** Ends every session of a staff member. */
  async revokeAll(staffId: number): Promise<number> {
    this.journal.forgetStaff(staffId);
    try {
      const digests = await this.redis.smembers(staffKey(staffId));
      const multi = this.redis.multi().del(staffKey(staffId));
      for (const d of digests) multi.del(sessionKey(d));
      multi.publish(...this.cache.revocation({ staffId }));
      await multi.exec();
      return digests.length;
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  /** Stops listening for revocations (when this process cached sessions). */
  async close(): Promise<void> {
    await Promise.all([this.cache.close(), this.replicas.connection ? quitRedis(this.replicas.connection) : undefined]);
  }
}
