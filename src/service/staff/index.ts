import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import type { AccessControl } from '../../core/auth/permissions';
import { AttemptLimiter } from '../../core/auth/rate-limit';
import { type AcknowledgedWrites, DEFAULT_RECHECK_SECONDS, SessionStore } from '../../core/auth/sessions';
import type { Config } from '../../core/config';
import { traceOperations } from '../../core/trace';
import { defineStaffModel } from '../../model/staff';
import { StaffInner } from './inner/staff-inner';
import { StaffService } from './staff-service';

export interface StaffDomain {
  staff: StaffService;
  sessions: SessionStore;
}

export interface StaffDomainOptions {
  /** How often a live session re-reads its account (disabled? roles?); 60 s unless given. */
  sessionRecheckSeconds?: number;
  /** Replicas that must acknowledge a new session (redis.wait_replicas), and its connection; none unless given. */
  sessionReplicas?: AcknowledgedWrites;
  /** How long a login's Redis writes go on trying while a failover settles (failoverSettleMsOf); 0 unless given. */
  failoverSettleMs?: number;
}

/** Sessions kept in one process's memory at most (about 1 KB each). */
const SESSION_CACHE_ENTRIES = 10_000;

/** The one place that builds staff accounts and sessions. */
export function createStaffDomain(
  sequelize: Sequelize,
  redis: Redis,
  auth: Config['auth'],
  access: AccessControl,
  options: StaffDomainOptions = {},
): StaffDomain {
  const inner = new StaffInner(defineStaffModel(sequelize));
  const sessions = new SessionStore(
    redis,
    auth.session_ttl_seconds,
    {
      everySeconds: options.sessionRecheckSeconds ?? DEFAULT_RECHECK_SECONDS,
      currentRoles: async (staffId) => {
        const account = await inner.findById(staffId);
        return account && !account.disabled ? account.roles : undefined;
      },
    },
    { ttlMs: auth.session_cache_ms, maxEntries: SESSION_CACHE_ENTRIES, outageGraceMs: auth.session_outage_grace_ms },
    options.sessionReplicas,
  );
  const staff = new StaffService(
    inner,
    sessions,
    new AttemptLimiter(
      redis,
      'login-attempts:user',
      auth.login_max_failures_per_user,
      auth.login_window_seconds,
      options.failoverSettleMs,
    ),
    new AttemptLimiter(
      redis,
      'login-attempts:addr',
      auth.login_max_failures_per_address,
      auth.login_window_seconds,
      options.failoverSettleMs,
    ),
    access,
  );
  // Each operation a span of its own when tracing is on.
  return { staff: traceOperations('staff', staff), sessions };
}

export type { StaffService, StaffProfile } from './staff-service';
