import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import type { Queues } from '../../core/async';
import type { Config } from '../../core/config';
import { traceOperations } from '../../core/trace';
import type { ZeusApi } from '../../../thirdparty/zeus/zeus-types';
import type { CsDomain } from '../cs';
import type { FlaggedOrderStore } from './inner/flagged-store';
import { MysqlFlaggedStore } from './inner/mysql-flagged-store';
import { RiskScanInner } from './inner/risk-scan-inner';
import type { riskReportQueue } from './risk-queue';
import { RiskReviewService } from './risk-review-service';
import { type RiskOperations, riskOperations } from './risk-operations';
import { RiskScanService } from './risk-scan-service';

export interface RiskDomain {
  store: FlaggedOrderStore;
  review: RiskReviewService;
  scan: RiskScanService;
  reportQueue: ReturnType<typeof riskReportQueue>;
  /** What both doors serve, declared once (risk-operations.ts). */
  operations: RiskOperations;
}

/**
 * MongoDB when mongo.url is set, MySQL otherwise. The MongoDB driver is
 * loaded only then: it would add about 160 ms to every start (a worker's, a
 * CLI's) of the hosts that keep flagged orders in MySQL.
 */
function createFlaggedStore(config: Config, sequelize: Sequelize): FlaggedOrderStore {
  if (!config.mongo.url) return new MysqlFlaggedStore(sequelize);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only with mongo.url (see above)
  const { MongoFlaggedStore } = require('./inner/mongo-flagged-store') as typeof import('./inner/mongo-flagged-store');
  return new MongoFlaggedStore(config.mongo.url);
}

/** The one place that builds the suspicious-order domain. Call `store.init()` before use. */
export function createRiskDomain(
  config: Config,
  sequelize: Sequelize,
  redis: Redis,
  queues: Queues,
  reportQueue: ReturnType<typeof riskReportQueue>,
  zeus: ZeusApi,
  cs: CsDomain,
): RiskDomain {
  const store = createFlaggedStore(config, sequelize);
  const review = new RiskReviewService(store, cs, queues, reportQueue, zeus);
  const scan = new RiskScanService(zeus, store, new RiskScanInner(redis), review, {
    pageSize: config.risk.scan_page_size,
    maxPages: config.risk.scan_max_pages,
  });
  // Each operation a span of its own when tracing is on.
  const traced = traceOperations('risk.review', review);
  return {
    store,
    review: traced,
    operations: riskOperations(traced),
    scan: traceOperations('risk.scan', scan),
    reportQueue,
  };
}

export type { FlaggedOrderStore };
