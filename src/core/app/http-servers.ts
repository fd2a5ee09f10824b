import type http from 'node:http';
import { createHttpApp } from '../api/http-app';
import { createHttpServer } from '../api/http-server';
import { mountMetrics, systemRoutes } from '../api/system-routes';
import type { Config } from '../config';
import type { AppModules, Resources } from './app';

/** The HTTP app of the routes, with its security, auth, docs and metrics pages. */
export function httpServer(resources: Resources, modules: AppModules, isDraining: () => boolean): http.Server {
  const { config } = resources;
  const routes = [...systemRoutes(resources.health, isDraining), ...modules.routes(resources)];
  const security = modules.security?.(resources);
  const app = createHttpApp({
    routes,
    bodyLimit: config.http.body_limit,
    jsonMaxDepth: config.http.json_max_depth,
    requestTimeoutMs: config.http.request_timeout_ms,
    bodyTimeoutMs: config.http.body_timeout_ms,
    trustProxy: config.http.trust_proxy,
    accessLog: config.log.access,
    isDraining,
    admission: resources.admission.http,
    neverShed: NEVER_SHED,
    authorize: modules.authorize?.(resources),
    ...security,
    raw: (expressApp) => {
      if (config.metrics.port === null) mountMetrics(expressApp, config.metrics.allowed_networks);
      // The docs pages are the only raw endpoints the modules add; http.docs turns them off.
      if (config.http.docs) modules.raw?.(expressApp, routes, config);
    },
  });
  const server = createHttpServer(app, deadlinesOf(config), security?.headers?.api);
  server.keepAliveTimeout = config.http.keep_alive_timeout_ms;
  return server;
}

/** Metrics answer whatever the load, as /ping and /health do (their routes say `shed: false`). */
const NEVER_SHED: readonly string[] = ['/metrics'];

function deadlinesOf(config: Config): { headersMs: number; bodyMs: number } {
  return { headersMs: config.http.headers_timeout_ms, bodyMs: config.http.body_timeout_ms };
}

/**
 * GET /metrics on a port of its own (metrics.port). With the HTTP door off
 * (http.enabled false, a Thrift-only host), it also answers /ping and /health:
 * the balancer's and the deploy's health gate still has somewhere to ask.
 */
export function metricsServer(resources: Resources, isDraining: () => boolean): http.Server {
  const { config } = resources;
  const metricsApp = createHttpApp({
    routes: config.http.enabled ? [] : systemRoutes(resources.health, isDraining),
    bodyLimit: '1kb',
    jsonMaxDepth: 1,
    trustProxy: false,
    accessLog: false,
    isDraining,
    raw: (expressApp) => mountMetrics(expressApp, config.metrics.allowed_networks),
  });
  return createHttpServer(metricsApp, deadlinesOf(config));
}
