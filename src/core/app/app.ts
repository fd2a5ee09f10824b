import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';
import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import { createHttpApp, type HttpAppOptions } from '../api/http-app';
import { createHttpServer } from '../api/http-server';
import type { Route } from '../api/route';
import type { HttpSecurity } from '../api/security';
import { mountMetrics, systemRoutes } from '../api/system-routes';
import { acceptedRisks, type Config } from '../config';
import { createSequelize } from '../db/mysql';
import { createRedis, quitRedis } from '../db/redis';
import { configureLogger, flushLogger, logger } from '../log';
import { statsd } from '../monitor';
import { startRuntimeGauges } from '../monitor/runtime';
import { type InFlight, routeThriftLibraryLog, type ThriftProcessor } from '../rpc';
import { HealthRegistry } from './health';
import { type Component, Lifecycle } from './lifecycle';
import { httpListener, thriftListener } from './listeners';

/** The shared resources of a running process, created at start and closed at stop. */
export interface Resources {
  config: Config;
  sequelize: Sequelize;
  redis: Redis;
  health: HealthRegistry;
}

/** What the business layers plug into the core: routes, the Thrift processor, extra stop steps. */
export interface AppModules {
  /**
   * Builds what the routes and handlers need (domains), after connections and
   * before serving. Returns how to close it: run once HTTP and Thrift have
   * drained, since in-flight requests still use it.
   */
  prepare?: (resources: Resources) => Promise<() => Promise<void>>;
  routes: (resources: Resources) => Route[];
  thriftProcessor: (resources: Resources, inFlight: InFlight) => ThriftProcessor;
  /** The API docs pages (OpenAPI, /docs); mounted unless http.docs is off. */
  raw?: (app: express.Express, routes: Route[], config: Config) => void;
  /** The auth check of non-public routes (core/auth). */
  authorize?: (resources: Resources) => HttpAppOptions['authorize'];
  /** The security headers of every answer, and the middleware before the routes (CORS). */
  security?: (resources: Resources) => HttpSecurity;
  /** Steps to run at start after connections (scheduler), each returning its stop function. */
  services?: ((resources: Resources) => Promise<() => Promise<void>>)[];
}

export interface StopOptions {
  /** Whether /health answers 503 for server.drain_delay_ms before the listeners close (default true). */
  drainDelay?: boolean;
}

export interface RunningApp {
  resources: Resources;
  http: AddressInfo;
  /** The metrics port, when metrics.port gives /metrics one of its own. */
  metrics?: AddressInfo | undefined;
  thrift: AddressInfo;
  /**
   * Stops in reverse order of start; resolves when everything is closed. The
   * first call decides: `drainDelay: false` skips server.drain_delay_ms, for a
   * stop asked before the process said it serves (no balancer sends to it yet).
   */
  stop: (options?: StopOptions) => Promise<void>;
}

/** Kept of server.shutdown_timeout_ms for closing connections once requests have drained. */
const CLOSE_RESERVE_MS = 500;
/** Kept of it for the last log line, the metrics and the log flush. */
const FINAL_RESERVE_MS = 100;

async function connectDependencies(resources: Resources): Promise<void> {
  const { sequelize, redis, health } = resources;
  health.add({ name: 'mysql', required: true, check: async () => void (await sequelize.query('SELECT 1')) });
  health.add({
    name: 'redis',
    required: false,
    check: async () => void (await redis.ping()),
  });
  await Promise.all([
    sequelize.authenticate().catch((err: Error) => {
      logger.warn('MySQL is not reachable at start; serving and retrying on each query', { error: err.message });
    }),
    redis.connect().catch((err: Error) => {
      logger.warn('Redis is not reachable at start; cached reads go to MySQL until it is back', { error: err.message });
    }),
  ]);
}

/** The HTTP app of the routes, with its security, auth, docs and metrics pages. */
function httpServer(resources: Resources, modules: AppModules, isDraining: () => boolean): http.Server {
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

function deadlinesOf(config: Config): { headersMs: number; bodyMs: number } {
  return { headersMs: config.http.headers_timeout_ms, bodyMs: config.http.body_timeout_ms };
}

/** GET /metrics on a port of its own (metrics.port). */
function metricsServer(config: Config, isDraining: () => boolean): http.Server {
  const metricsApp = createHttpApp({
    routes: [],
    bodyLimit: '1kb',
    jsonMaxDepth: 1,
    trustProxy: false,
    accessLog: false,
    isDraining,
    raw: (expressApp) => mountMetrics(expressApp, config.metrics.allowed_networks),
  });
  return createHttpServer(metricsApp, deadlinesOf(config));
}

/** A component with no stop of its own, or no start. */
const noop = (): Promise<void> => Promise.resolve();

/**
 * Starts the process as an ordered list of stages — connections, domains,
 * listeners (HTTP, metrics, Thrift), background services — and returns a
 * handle that stops them in reverse. A failure at start closes exactly what
 * had opened, and rethrows.
 */
export async function startApp(config: Config, modules: AppModules): Promise<RunningApp> {
  configureLogger({ level: config.log.level, file: config.log.file, service: config.service_name });
  routeThriftLibraryLog();
  statsd.reconfigure(config.statsd);
  const risks = acceptedRisks(config);
  if (risks.length > 0) {
    logger.warn('this prod server runs with known-unsafe settings that its configuration accepts (accept_risks)', {
      accept_risks: risks,
    });
  }

  const resources: Resources = {
    config,
    sequelize: createSequelize(config),
    redis: createRedis(config),
    health: new HealthRegistry(),
  };
  let draining = false;
  const isDraining = (): boolean => draining;
  let closePrepared: () => Promise<void> = noop;
  const http = httpListener(() => httpServer(resources, modules, isDraining), {
    name: 'HTTP',
    section: 'http',
    host: config.http.host,
    port: config.http.port,
  });
  const metrics =
    config.metrics.port === null
      ? undefined
      : httpListener(() => metricsServer(config, isDraining), {
          name: 'metrics',
          section: 'metrics',
          host: config.metrics.host,
          port: config.metrics.port,
        });
  const thrift = thriftListener(config, (inFlight) => modules.thriftProcessor(resources, inFlight));
  const services: Component[] = [];
  let stopGauges = (): void => undefined;
  services.push({
    name: 'runtime gauges',
    start: () => {
      stopGauges = startRuntimeGauges(resources.sequelize);
      return Promise.resolve();
    },
    stop: () => Promise.resolve(stopGauges()),
  });
  for (const [i, startService] of (modules.services ?? []).entries()) {
    let stopService: () => Promise<void> = noop;
    services.push({
      name: `service ${i + 1}`,
      start: async () => void (stopService = await startService(resources)),
      stop: () => stopService(),
    });
  }

  const finalReserve = Math.min(FINAL_RESERVE_MS, config.server.shutdown_timeout_ms / 10);
  const closeReserve = Math.min(CLOSE_RESERVE_MS, config.server.shutdown_timeout_ms / 4);
  const lifecycle = new Lifecycle([
    {
      what: 'closing connections',
      reserveMs: finalReserve,
      components: [
        {
          name: 'MySQL and Redis',
          start: () => connectDependencies(resources),
          stop: async () => void (await Promise.allSettled([resources.sequelize.close(), quitRedis(resources.redis)])),
        },
      ],
    },
    {
      // Queues, clients and stores close only after the listeners: the requests that drained were using them.
      what: 'closing stores',
      reserveMs: finalReserve,
      components: [
        {
          name: 'domains',
          start: async () => void (closePrepared = (await modules.prepare?.(resources)) ?? noop),
          stop: () => closePrepared(),
        },
      ],
    },
    {
      what: 'in-flight requests and calls',
      reserveMs: closeReserve,
      components: [http, ...(metrics ? [metrics] : []), thrift],
    },
    { what: 'background services', reserveMs: closeReserve, components: services },
  ]);
  await lifecycle.start();

  const httpAddress = http.address as AddressInfo;
  const thriftAddress = thrift.address as AddressInfo;
  logger.info('tandem is serving', {
    http: `${httpAddress.address}:${httpAddress.port}`,
    thrift: `${thriftAddress.address}:${thriftAddress.port}`,
    env: config.env,
    pid: process.pid,
  });

  let stopping: Promise<void> | undefined;
  const stop = (options: StopOptions = {}): Promise<void> => {
    stopping ??= (async () => {
      draining = true;
      const drainDelay = options.drainDelay === false ? 0 : config.server.drain_delay_ms;
      if (drainDelay > 0) {
        // A balancer only stops sending after it has seen /health fail: until then new requests are still served.
        logger.info('draining: /health answers 503 while the listeners stay open', { drain_delay_ms: drainDelay });
        await new Promise((resolve) => setTimeout(resolve, drainDelay));
      }
      const deadline = config.server.shutdown_timeout_ms;
      logger.info('stopping: finishing in-flight requests and calls', { deadline_ms: deadline });
      // The deadline holds whatever is stuck (a frozen MySQL under a request, a QUIT Redis never answers).
      await lifecycle.stop(deadline);
      logger.info('stopped');
      await statsd.close();
      await flushLogger();
    })();
    return stopping;
  };

  return { resources, http: httpAddress, thrift: thriftAddress, metrics: metrics?.address, stop };
}
