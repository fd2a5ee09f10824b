import type { AppModules, Resources } from './core/app/app';
import { createAuthorize } from './core/auth/authorize';
import { mountOpenApi } from './core/api/openapi-page';
import { httpSecurity } from './core/api/security';
import { DevError } from './exception';
import type { Route } from './core/api/route';
import path from 'node:path';
import { checkArguments, checkCallers, readIdl, wrapHandler } from './core/rpc';
import { authRoutes } from './api/auth/auth-routes';
import { csRoutes } from './api/cs/cs-routes';
import { riskRoutes } from './api/risk/risk-routes';
// make domain: new domains' route imports go above this line.
import { ACCESS, buildDomains, closeDomains, type Domains } from './domains';
import { Processor as TandemProcessor } from '../thrift/gen-nodejs/Tandem';
import { toIdlException } from './thrift/errors';
import { migrations } from './model/migrations';
import { createTandemHandler } from './thrift/tandem-handler';
import { createScheduler } from '../scheduler';
import { serviceHealthCheck } from '../thirdparty/base';

const TANDEM_IDL = path.join(__dirname, '..', 'thrift', 'tandem.thrift');

const built = new WeakMap<Resources, Domains>();

/** The domains of a running app, built by `prepare`. */
export function domainsOf(resources: Resources): Domains {
  const d = built.get(resources);
  if (!d) throw new DevError('INTERNAL', { cause: new Error('domainsOf() before prepare()') });
  return d;
}

/** The routes, once each needs a permission that some domain declares (a typo would lock everyone out). */
function checkPermissions(routes: Route[]): Route[] {
  for (const route of routes) ACCESS.requireDeclared(route.permission, `${route.method.toUpperCase()} ${route.path}`);
  return routes;
}

/**
 * The server's modules: the domains' routes and Thrift handlers put into the
 * core app, and the scheduler run beside them.
 */
export function appModules(): AppModules {
  return {
    migrations: migrations.map((m) => m.name),
    prepare: async (resources) => {
      const domains = await buildDomains(resources.config, resources.sequelize, resources.redis);
      built.set(resources, domains);
      const store = domains.risk.store;
      // MySQL is checked already; MongoDB, when configured, is not required: only the risk calls need it.
      if (store.kind === 'mongo') resources.health.add({ name: 'mongodb', required: false, check: () => store.ping() });
      // zeus's instances as its client sees them; not required: only the risk calls need zeus.
      resources.health.add(serviceHealthCheck(domains.zeus));
      return () => closeDomains(domains, 1000);
    },
    routes: (resources) => {
      const d = domainsOf(resources);
      return checkPermissions([
        ...authRoutes(d.staff.staff),
        ...csRoutes(d.cs),
        ...riskRoutes(d.risk),
        // make domain: new domains' routes go above this line.
      ]);
    },
    authorize: (resources) => createAuthorize(domainsOf(resources).staff.sessions, ACCESS),
    security: (resources) => httpSecurity(resources.config.http.cors_origins),
    // The document lists /metrics only where it is served (not when metrics.port gives it a port of its own).
    raw: (app, routes, config) =>
      mountOpenApi(
        app,
        routes,
        { title: 'tandem', version: '1.0.0' },
        { metrics: config.metrics.port === null, describePermission: (p) => ACCESS.describe(p) },
      ),
    thriftProcessor: (resources, inFlight) => {
      const d = domainsOf(resources);
      const { callers } = resources.config.thrift;
      return new TandemProcessor(
        // The IDL sits beside the generated code in the source tree and in dist/ (make build copies it).
        wrapHandler(checkCallers(checkArguments(createTandemHandler(d), readIdl(TANDEM_IDL)), callers), {
          toIdlException,
          inFlight,
          accessLog: resources.config.log.access,
          admission: resources.admission.thrift,
          callDeadlineMs: resources.config.thrift.call_deadline_ms,
        }),
      );
    },
    services: [
      // The scheduler runs in every server unless server.scheduler is off; the tick lock keeps each tick to one instance.
      (resources) => {
        const d = domainsOf(resources);
        const scheduler = createScheduler(
          resources.redis,
          { config: resources.config, cs: d.cs, risk: d.risk },
          d.queues,
        );
        if (resources.config.server.scheduler) scheduler.start();
        return Promise.resolve(() => scheduler.stop(resources.config.server.shutdown_timeout_ms));
      },
    ],
  };
}
