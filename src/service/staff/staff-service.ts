import { DUMMY_HASH, hashPassword, verifyPassword } from '../../core/auth/password';
import type { AccessControl } from '../../core/auth/permissions';
import type { AttemptLimiter } from '../../core/auth/rate-limit';
import type { SessionStore } from '../../core/auth/sessions';
import { logger } from '../../core/log';
import { AuthError, UserError } from '../../exception';
import type { StaffInner } from './inner/staff-inner';
import { addressKeyOf, userKeyOf } from './login-keys';

/** A staff member as callers see them: no hash. */
export interface StaffProfile {
  id: number;
  username: string;
  display_name: string;
  roles: string[];
  disabled: boolean;
}

export interface LoginResult {
  token: string;
  expires_in: number;
  staff: StaffProfile;
}

/** One line when a lock begins (not per refused attempt), saying what to run to lift it. */
function lockBegan(limit: 'address' | 'account', who: Record<string, unknown>, seconds: number): void {
  logger.warn(`login attempts locked for this ${limit}; scripts/unlock_login.ts lifts it (docs/security.md)`, {
    limit,
    ...who,
    locked_for_seconds: seconds,
  });
}

function rateLimited(retryAfterSeconds: number): AuthError {
  return new AuthError('AUTH_RATE_LIMITED', { params: { retry_after: retryAfterSeconds } });
}

/**
 * Staff accounts and their sessions: login with limits on attempts per
 * account and per client address, logout, disabling (which ends every
 * session of the account), and a password reset (which ends them too, and
 * lifts the account's lock).
 */
export class StaffService {
  constructor(
    private readonly staff: StaffInner,
    private readonly sessions: SessionStore,
    /** Attempts per account (or per folded username when it names none); cleared by a success. */
    private readonly perUser: AttemptLimiter,
    /** Attempts per client address; a success takes its own attempt back. */
    private readonly perAddress: AttemptLimiter,
    /** The app's roles and permissions, from every domain's declaration. */
    private readonly access: AccessControl,
  ) {}

  private static profile(a: {
    id: number;
    username: string;
    display_name: string;
    roles: string[];
    disabled: boolean;
  }): StaffProfile {
    return { id: a.id, username: a.username, display_name: a.display_name, roles: a.roles, disabled: a.disabled };
  }

  /**
   * Every attempt is counted before its password is checked, per address and
   * then per account, each in one atomic step: of any number of concurrent
   * attempts, at most the limit are checked. The account is found first so
   * that every spelling the database matches (case, accents, width) counts
   * under its id.
   */
  async login(username: string, password: string, address: string): Promise<LoginResult> {
    const addressKey = addressKeyOf(address);
    const byAddress = await this.perAddress.attempt(addressKey);
    if (!byAddress.allowed) {
      if (byAddress.first) lockBegan('address', { address: addressKey }, byAddress.retryAfterSeconds);
      throw rateLimited(byAddress.retryAfterSeconds);
    }
    const account = await this.staff.findByUsername(username);
    const userKey = userKeyOf(username, account?.id);
    const byUser = await this.perUser.attempt(userKey);
    if (!byUser.allowed) {
      // Not the name typed: people do type a password into the username field.
      if (byUser.first)
        lockBegan('account', { staff_id: account?.id ?? null, address: addressKey }, byUser.retryAfterSeconds);
      throw rateLimited(byUser.retryAfterSeconds);
    }
    // An unknown user costs the same scrypt as a wrong password: no timing tells them apart.
    const ok = await verifyPassword(password, account?.password_hash ?? DUMMY_HASH);
    if (!account || !ok) throw new AuthError('AUTH_BAD_CREDENTIALS');
    if (account.disabled) throw new AuthError('AUTH_ACCOUNT_DISABLED');
    await Promise.all([this.perUser.clear(userKey), this.perAddress.forgive(addressKey)]);
    const session = await this.sessions.create({
      staff_id: account.id,
      username: account.username,
      roles: account.roles,
    });
    // A disable that committed while the password was checked may have listed
    // the sessions before this one was added: confirm on the primary, after the add.
    const current = await this.staff.findById(account.id, { primary: true });
    if (!current || current.disabled) {
      await this.sessions.revoke(session.token, account.id);
      throw new AuthError('AUTH_ACCOUNT_DISABLED');
    }
    return { ...session, staff: StaffService.profile(account) };
  }

  logout(token: string, staffId: number): Promise<void> {
    return this.sessions.revoke(token, staffId);
  }

  async me(id: number): Promise<StaffProfile> {
    const account = await this.staff.findById(id);
    if (!account || account.disabled) throw new AuthError('AUTH_INVALID_TOKEN');
    return StaffService.profile(account);
  }

  /** Creates the account or, when the username exists, updates it (password, roles, name). */
  async upsert(input: {
    username: string;
    password: string;
    roles: string[];
    display_name?: string;
  }): Promise<StaffProfile> {
    const unknown = input.roles.filter((r) => !this.access.isRole(r));
    if (unknown.length > 0) {
      throw new UserError('BAD_REQUEST', { params: { reason: `unknown roles: ${unknown.join(', ')}.` } });
    }
    if (input.password.length < 8) {
      throw new UserError('BAD_REQUEST', { params: { reason: 'the password must have at least 8 characters.' } });
    }
    const password_hash = await hashPassword(input.password);
    const existing = await this.staff.findByUsername(input.username);
    const display_name = input.display_name ?? existing?.display_name ?? input.username;
    if (existing) {
      // The script always takes a password: the same one again is a change of roles or name, not a reset.
      const newPassword = !(await verifyPassword(input.password, existing.password_hash));
      await this.staff.update(existing.id, { password_hash, roles: input.roles, display_name });
      // A new password is a fresh start: whoever held a session (or guessed) with the old one is out.
      // Live sessions of an unchanged password stay, and take new roles at their next re-check.
      await Promise.all([
        newPassword ? this.sessions.revokeAll(existing.id) : undefined,
        this.perUser.clear(userKeyOf(input.username, existing.id)),
      ]);
      return StaffService.profile({ ...existing, roles: input.roles, display_name });
    }
    const account = { username: input.username, display_name, roles: input.roles, disabled: false };
    const id = await this.staff.insert({ ...account, password_hash });
    return StaffService.profile({ id, ...account });
  }

  /**
   * Lifts the lock of a client address (an office behind one NAT that a
   * mistyping colleague locked out). The address as logged or as the
   * operator knows it; an IPv6 address lifts its whole /64.
   */
  async unlockAddress(address: string): Promise<{ key: string; wasLockedFor: number }> {
    const key = addressKeyOf(address);
    const wasLockedFor = await this.perAddress.lockedFor(key);
    await this.perAddress.clear(key);
    return { key, wasLockedFor };
  }

  /** Lifts the lock of a username without changing its password; false when no account has that name. */
  async unlockUsername(username: string): Promise<{ found: boolean; wasLockedFor: number }> {
    const account = await this.staff.findByUsername(username);
    const key = userKeyOf(username, account?.id);
    const wasLockedFor = await this.perUser.lockedFor(key);
    await this.perUser.clear(key);
    return { found: account !== undefined, wasLockedFor };
  }

  /** Whether this staff member exists, is enabled, and holds `permission` through their roles. */
  async holds(staffId: number, permission: string): Promise<boolean> {
    const account = await this.staff.findById(staffId);
    return account !== undefined && !account.disabled && this.access.permissionsOf(account.roles).has(permission);
  }

  /** Like setDisabled, by username; false when there is no such account. */
  async setDisabledByUsername(username: string, disabled: boolean): Promise<boolean> {
    const account = await this.staff.findByUsername(username);
    if (!account) return false;
    await this.setDisabled(account.id, disabled);
    return true;
  }

  /**
   * Disables or enables an account; disabling ends its live sessions at once.
   * The flag is written first: when Redis then fails to revoke (a
   * ServerError; running it again retries), the sessions still end at their
   * next recheck against the database (see SessionStore), and no new login
   * succeeds.
   */
  async setDisabled(id: number, disabled: boolean): Promise<void> {
    await this.staff.update(id, { disabled });
    if (disabled) await this.sessions.revokeAll(id);
  }
}
