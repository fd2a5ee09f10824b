import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ServerError } from '../../exception';

export interface Session {
  staff_id: number;
  username: string;
  roles: string[];
  created_at: string;
}

const sessionKey = (digest: string): string => `session:${digest}`;
const staffKey = (staffId: number): string => `staff-sessions:${staffId}`;

/** Only a digest of the token is stored, so a leaked Redis dump holds no usable token. */
function digestOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/**
 * Revocable session tokens in Redis with an expiry. A token is 32 random
 * bytes; Redis keys it by its SHA-256. Each staff member's sessions are also
 * listed, so disabling them ends every session at once.
 */
export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly ttlSeconds: number,
  ) {}

  private unavailable(err: unknown): ServerError {
    return new ServerError('CACHE_ERROR', { cause: err });
  }

  async create(session: Omit<Session, 'created_at'>): Promise<{ token: string; expires_in: number }> {
    const token = randomBytes(32).toString('base64url');
    const digest = digestOf(token);
    const value: Session = { ...session, created_at: new Date().toISOString() };
    try {
      await this.redis
        .multi()
        .set(sessionKey(digest), JSON.stringify(value), 'EX', this.ttlSeconds)
        .sadd(staffKey(session.staff_id), digest)
        .expire(staffKey(session.staff_id), this.ttlSeconds)
        .exec();
    } catch (err) {
      throw this.unavailable(err);
    }
    return { token, expires_in: this.ttlSeconds };
  }

  /** The live session of a token, or undefined when unknown, expired or revoked. */
  async get(token: string): Promise<Session | undefined> {
    let raw: string | null;
    try {
      raw = await this.redis.get(sessionKey(digestOf(token)));
    } catch (err) {
      throw this.unavailable(err);
    }
    return raw === null ? undefined : (JSON.parse(raw) as Session);
  }

  async revoke(token: string, staffId: number): Promise<void> {
    const digest = digestOf(token);
    try {
      await this.redis.multi().del(sessionKey(digest)).srem(staffKey(staffId), digest).exec();
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  /** Ends every session of a staff member. */
  async revokeAll(staffId: number): Promise<number> {
    try {
      const digests = await this.redis.smembers(staffKey(staffId));
      const multi = this.redis.multi().del(staffKey(staffId));
      for (const d of digests) multi.del(sessionKey(d));
      await multi.exec();
      return digests.length;
    } catch (err) {
      throw this.unavailable(err);
    }
  }
}
