import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/** A held lock: only its owner token can release or extend it. */
export interface HeldLock {
  key: string;
  token: string;
  /** Releases the lock if this owner still holds it; true when it did. */
  release: () => Promise<boolean>;
  /** Pushes the expiry out if this owner still holds it; true when it did. */
  extend: (ttlMs: number) => Promise<boolean>;
}

/**
 * A Redis lock with an owner token and an expiry (SET NX PX). Release and
 * extend are compare-and-act scripts, so a holder whose lock expired and was
 * taken by another can never release the other's lock.
 */
export class RedisLock {
  constructor(private readonly redis: Redis) {}

  /**
   * Takes the lock, or returns undefined when someone else holds it. A caller that tries again after a failed
   * attempt passes the same `token`: an attempt whose write took effect but whose answer was lost (the
   * connection dropped) is then found held by this owner instead of by someone else.
   */
  async acquire(key: string, ttlMs: number, token: string = randomUUID()): Promise<HeldLock | undefined> {
    const ok = await this.redis.set(key, token, 'PX', ttlMs, 'NX');
    if (ok !== 'OK' && (await this.redis.get(key)) !== token) return undefined;
    return {
      key,
      token,
      release: async () => (await this.redis.eval(RELEASE, 1, key, token)) === 1,
      extend: async (ms: number) => (await this.redis.eval(EXTEND, 1, key, token, String(ms))) === 1,
    };
  }

  /** Runs `fn` under the lock; returns `{ ran: false }` when the lock is held elsewhere. */
  async withLock<T>(
    key: string,
    ttlMs: number,
    fn: () => Promise<T>,
  ): Promise<{ ran: true; value: T } | { ran: false }> {
    const held = await this.acquire(key, ttlMs);
    if (!held) return { ran: false };
    try {
      return { ran: true, value: await fn() };
    } finally {
      await held.release().catch(() => false);
    }
  }
}
