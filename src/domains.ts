import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import { Queues, type QueueDef } from './core/async';
import type { Config } from './core/config';
import { logger } from './core/log';
import { createCsDomain, type CsDomain } from './service/cs';
import { createRiskDomain, type RiskDomain } from './service/risk';
import { riskReportQueue } from './service/risk/risk-queue';
import { createStaffDomain, type StaffDomain } from './service/staff';
import { SCHEDULED_JOBS } from '../scheduler/queue';
import { ZeusClient } from '../thirdparty/zeus/zeus-client';

/** Every domain of the app and what they share, built once per process. */
export interface Domains {
  cs: CsDomain;
  staff: StaffDomain;
  risk: RiskDomain;
  queues: Queues;
  zeus: ZeusClient;
}

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
  const defs = appQueues(config);
  const queues = new Queues(config, defs.all);
  const zeus = new ZeusClient(config);
  const staff = createStaffDomain(sequelize, redis, config.auth);
  const cs = createCsDomain(sequelize, redis, staff.staff);
  const risk = createRiskDomain(config, sequelize, redis, queues, defs.riskReport, zeus, cs);
  await risk.store.init().catch((err: Error) => {
    logger.warn('the suspicious-order store is not ready; risk reads fail until it is', {
      store: risk.store.kind,
      error: err.message,
    });
  });
  return { cs, staff, risk, queues, zeus };
}

/** Closes what the domains opened: queue connections, zeus connections, the document store. */
export async function closeDomains(domains: Domains, queueDeadlineMs: number): Promise<void> {
  await Promise.allSettled([
    domains.queues.close(queueDeadlineMs),
    domains.zeus.close(),
    domains.risk.store.close(),
    domains.staff.sessions.close(),
  ]);
}
