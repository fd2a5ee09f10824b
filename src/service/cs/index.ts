import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import { Cache } from '../../core/db/cache';
import { traceOperations } from '../../core/trace';
import { defineCsModels } from '../../model/cs-event';
import { CsCategoryService } from './cs-category-service';
import { CsEventService } from './cs-event-service';
import { type CsOperations, csOperations } from './cs-operations';
import type { HandlerDirectory } from './cs-types';
import { CsMaintenanceService } from './cs-maintenance-service';
import { CsCacheInner } from './inner/cs-cache-inner';
import { CsCategoryInner } from './inner/cs-category-inner';
import { CsEventInner } from './inner/cs-event-inner';
import { CsReportInner } from './inner/cs-report-inner';

export interface CsDomain {
  events: CsEventService;
  categories: CsCategoryService;
  maintenance: CsMaintenanceService;
  /** What both doors serve, declared once (cs-operations.ts). */
  operations: CsOperations;
}

/** The one place that builds the customer-service domain's collaborators. */
export function createCsDomain(sequelize: Sequelize, redis: Redis, handlers?: HandlerDirectory): CsDomain {
  const models = defineCsModels(sequelize);
  const cache = new Cache(redis, 'cs.cache');
  const eventInner = new CsEventInner(sequelize, models);
  const categories = new CsCategoryService(new CsCategoryInner(models), eventInner, cache);
  const cacheInner = new CsCacheInner(redis, cache);
  const events = new CsEventService(eventInner, cacheInner, categories, handlers);
  const maintenance = new CsMaintenanceService(eventInner, cacheInner, new CsReportInner(sequelize));
  // Each operation a span of its own when tracing is on (the face the doors and other domains call).
  const traced = traceOperations('cs.events', events);
  return {
    events: traced,
    categories: traceOperations('cs.categories', categories),
    maintenance: traceOperations('cs.maintenance', maintenance),
    operations: csOperations(traced),
  };
}

export type { CsEventService, CsCategoryService };
