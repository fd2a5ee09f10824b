import { createHash } from 'node:crypto';

/** What a session is, and how it is keyed and stored in Redis. */

export interface Session {
  staff_id: number;
  username: string;
  roles: string[];
  created_at: string;
  /** When the account was last confirmed enabled, and its roles read, from the database. */
  checked_at?: string;
}

export const sessionKey = (digest: string): string => `session:${digest}`;
export const staffKey = (staffId: number): string => `staff-sessions:${staffId}`;

/** Only a digest of the token is stored, so a leaked Redis dump holds no usable token. */
export function digestOf(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** A stored session value, or undefined when it is not JSON of a session's shape. */
export function parseSession(raw: string): Session | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const valid =
    typeof v.staff_id === 'number' &&
    typeof v.username === 'string' &&
    Array.isArray(v.roles) &&
    v.roles.every((role) => typeof role === 'string') &&
    typeof v.created_at === 'string' &&
    (v.checked_at === undefined || typeof v.checked_at === 'string');
  return valid ? (value as Session) : undefined;
}

/** The Redis key (before the key prefix) of a token's session. */
export function sessionKeyOfToken(token: string): string {
  return sessionKey(digestOf(token));
}
