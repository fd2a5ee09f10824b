import type { AppModules, Resources } from './core/app/app';
import { createAuthorize } from './core/auth/authorize';
import { mountOpenApi } from './core/api/openapi';
import { wrapHandler } from './core/rpc';
import { authRoutes } from './api/auth/auth-routes';
import { csRoutes } from './api/cs/cs-routes';
import { createCsDomain, type CsDomain } from './service/cs';
import { createStaffDomain, type StaffDomain } from './service/staff';
import { Processor as TandemProcessor } from '../thrift/gen-nodejs/Tandem';
import { toIdlException } from './thrift/errors';
import { createTandemHandler } from './thrift/tandem-handler';
import { httpSecurity } from './core/api/security';
import { Queues, type QueueDef } from './core/async';
import type { Config } from './core/config';
import { createScheduler } from '../scheduler';
import { SCHEDULED_JOBS } from '../scheduler/queue';

/** Every Bull queue of the app. */
export const QUEUE_DEFS: QueueDef<unknown>[] = [SCHEDULED_JOBS as QueueDef<unknown>];

export function appQueues(config: Config): Queues {
  return new Queues(config, QUEUE_DEFS);
}

interface Domains {
  cs: CsDomain;
  staff: StaffDomain;
}

const built = new WeakMap<Resources, Domains>();

/** Each domain is built once per running app, from the app's shared resources. */
function domains(resources: Resources): Domains {
  let d = built.get(resources);
  if (!d) {
    const { sequelize, redis, config } = resources;
    d = { cs: createCsDomain(sequelize, redis), staff: createStaffDomain(sequelize, redis, config.auth) };
    built.set(resources, d);
  }
  return d;
}

/**
 * The composition root: the one place that puts the domains' routes and
 * Thrift handlers into the core app.
 */
export function appModules(): AppModules {
  return {
    routes: (resources) => {
      const d = domains(resources);
      return [...authRoutes(d.staff.staff), ...csRoutes(d.cs)];
    },
    authorize: (resources) => createAuthorize(domains(resources).staff.sessions),
    before: (resources) => httpSecurity(resources.config.http.cors_origins),
    raw: (app, routes) => mountOpenApi(app, routes, { title: 'tandem', version: '1.0.0' }),
    services: [
      // The scheduler runs in every server unless server.scheduler is off; the tick lock keeps each tick to one instance.
      async (resources) => {
        if (!resources.config.server.scheduler) return () => Promise.resolve();
        const queues = appQueues(resources.config);
        const scheduler = createScheduler(resources.redis, { config: resources.config, cs: domains(resources).cs }, queues);
        scheduler.start();
        return async () => {
          await scheduler.stop(resources.config.server.shutdown_timeout_ms);
          await queues.close(1000);
        };
      },
    ],
    thriftProcessor: (resources, inFlight) =>
      new TandemProcessor(
        wrapHandler(createTandemHandler(domains(resources).cs), {
          toIdlException,
          inFlight,
          accessLog: resources.config.log.access,
        }),
      ),
  };
}

export { domains };
