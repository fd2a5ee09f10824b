import type { Redis } from 'ioredis';
import { logger } from '../log';
import { statsd } from '../monitor';

interface Entry {
  key: string;
  value: string;
  staffKey: string;
  digest: string;
  staffId: number;
  expiresAt: number;
  createdAt: number;
}

/**
 * The sessions this process created in the last `keepMs`, written again
 * (SET NX, so nothing newer is overwritten) each time its Redis connection
 * becomes ready again, which after a Sentinel failover is on the new primary.
 *
 * Why: WAIT only says that some replica took a write. In a manual failover
 * the old primary goes on answering for about a second after the promoted
 * replica has left it, and the other replica, not yet moved to the new
 * primary, still acknowledges its writes, which its move then discards. A
 * session created there was answered 200 and would be gone. The fault run
 * measured 3 such sessions per manual failover; replaying the last seconds'
 * sessions to the new primary brings them back. Revoked sessions leave the
 * journal, so a replay never brings back a logout.
 */
export class SessionJournal {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly redis: Redis,
    private readonly keepMs: number,
  ) {
    if (keepMs > 0) redis.on('ready', () => void this.replay());
  }

  add(entry: Omit<Entry, 'createdAt'>): void {
    if (this.keepMs <= 0) return;
    const now = Date.now();
    this.prune(now);
    this.entries.set(entry.digest, { ...entry, createdAt: now });
  }

  forget(digest: string): void {
    this.entries.delete(digest);
  }

  forgetStaff(staffId: number): void {
    for (const [digest, entry] of this.entries) if (entry.staffId === staffId) this.entries.delete(digest);
  }

  private prune(now: number): void {
    for (const [digest, entry] of this.entries) if (now - entry.createdAt > this.keepMs) this.entries.delete(digest);
  }

  /** Writes the recent sessions again where they are missing; a failure is said once and left (best effort). */
  async replay(): Promise<void> {
    const now = Date.now();
    this.prune(now);
    const live = [...this.entries.values()].filter((entry) => entry.expiresAt > now + 1000);
    if (live.length === 0) return;
    try {
      const multi = this.redis.multi();
      for (const entry of live) {
        multi.set(entry.key, entry.value, 'PXAT', entry.expiresAt, 'NX');
        multi.sadd(entry.staffKey, entry.digest);
        // A set the SADD just created has no expiry (NX sets one); one that had an earlier one gets this (GT).
        multi.pexpireat(entry.staffKey, entry.expiresAt, 'NX');
        multi.pexpireat(entry.staffKey, entry.expiresAt, 'GT');
      }
      const results = (await multi.exec()) ?? [];
      const restored = live.filter((_, i) => results[i * 4]?.[1] === 'OK').length;
      statsd.increment('auth.session.replayed', restored);
      if (restored > 0) {
        logger.warn('sessions created just before Redis changed primary were missing there and are written again', {
          restored,
          replayed: live.length,
        });
      }
    } catch (err) {
      logger.warn('recent sessions could not be written again after Redis reconnected', {
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
}
