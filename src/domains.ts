import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import { Queues, type QueueDef } from './core/async';
import { AccessControl } from './core/auth/permissions';
import type { AcknowledgedWrites } from './core/auth/sessions';
import type { Config } from './core/config';
import { failoverSettleMsOf, redisConnection, replicaWaitOf } from './core/db/redis';
import { createCsDomain, type CsDomain } from './service/cs';
import { createRiskDomain, type RiskDomain } from './service/risk';
import { riskReportQueue } from './service/risk/risk-queue';
import { startStore } from './service/risk/risk-store-start';
import { createStaffDomain, type StaffDomain } from './service/staff';
import { staffAccess } from './service/staff/staff-access';
import { csAccess } from './service/cs/cs-access';
import { riskAccess } from './service/risk/risk-access';
// make domain: new domains' imports go above this line.
import { SCHEDULED_JOBS } from '../scheduler/queue';
import { ZeusClient } from '../thirdparty/zeus/zeus-client';

/** Every domain of the app and what they share, built once per process. */
export interface Domains {
  cs: CsDomain;
  staff: StaffDomain;
  risk: RiskDomain;
  queues: Queues;
  zeus: ZeusClient;
  // make domain: new domains' fields go above this line.
  /** Stops retrying the store's start-up (when it had failed). */
  stopStoreStart: () => void;
}

/** The app's permissions and roles: each domain declares its own. */
export const ACCESS = new AccessControl([
  staffAccess,
  csAccess,
  riskAccess,
  // make domain: new access declarations go above this line.
]);

/** The app's Bull queues, each defined once from config. */
function appQueues(config: Config) {
  const riskReport = riskReportQueue(config.risk.report_attempts, config.risk.report_backoff_ms);
  return { riskReport, all: [SCHEDULED_JOBS, riskReport] as QueueDef<unknown>[] };
}

/** Every Bull queue of the app, for the worker and `npm run jobs`. */
export function queueDefs(config: Config): QueueDef<unknown>[] {
  return appQueues(config).all;
}

/**
 * The composition root of the domains: the one place that builds their
 * collaborators from the process's shared resources.
 */
export async function buildDomains(config: Config, sequelize: Sequelize, redis: Redis): Promise<Domains> {
  // First: the one step here that can fail, before anything is built that would then need closing.
  const sessionReplicas = await sessionWrites(config);
  const defs = appQueues(config);
  const queues = new Queues(config, defs.all);
  const zeus = new ZeusClient(config);
  const staff = createStaffDomain(sequelize, redis, config.auth, ACCESS, {
    sessionReplicas,
    failoverSettleMs: failoverSettleMsOf(config),
  });
  const cs = createCsDomain(sequelize, redis, staff.staff);
  const risk = createRiskDomain(config, sequelize, redis, queues, defs.riskReport, zeus, cs);
  // make domain: new domains are built above this line.
  const stopStoreStart = await startStore(risk.store);
  return {
    cs,
    staff,
    risk,
    queues,
    zeus,
    // make domain: new domains are returned above this line.
    stopStoreStart,
  };
}

/**
 * The replicas a new session waits for and, when there are any, its own
 * connection (its WAIT would hold up the shared one's reads), connected now:
 * the first login must not find it still connecting. Redis was reachable a
 * moment ago (the start connected the shared connection).
 */
async function sessionWrites(config: Config): Promise<AcknowledgedWrites> {
  const wait = { ...replicaWaitOf(config), settleMs: failoverSettleMsOf(config) };
  if (wait.replicas === 0) return wait;
  const connection = redisConnection(config, 'sessions');
  await connection.connect();
  return { ...wait, connection };
}

/** Closes what the domains opened: queue connections, zeus connections, the document store. */
export async function closeDomains(domains: Domains, queueDeadlineMs: number): Promise<void> {
  domains.stopStoreStart();
  await Promise.allSettled([
    domains.queues.close(queueDeadlineMs),
    domains.zeus.close(),
    domains.risk.store.close(),
    domains.staff.sessions.close(),
  ]);
}
