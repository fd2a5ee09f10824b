import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';
import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import { createHttpApp, createHttpServer, type HttpAppOptions } from '../api/http-app';
import type { Route } from '../api/route';
import type { HttpSecurity } from '../api/security';
import { mountMetrics, systemRoutes } from '../api/system-routes';
import { acceptedRisks, type Config } from '../config';
import { createSequelize } from '../db/mysql';
import { createRedis, quitRedis, warnIfRedisEvicts } from '../db/redis';
import { configureLogger, flushLogger, logger } from '../log';
import { statsd } from '../monitor';
import { startRuntimeGauges } from '../monitor/runtime';
import { InFlight, routeThriftLibraryLog, ThriftServer, type ThriftProcessor } from '../rpc';
import { HealthRegistry } from './health';
import { checkSchemaAtStart, schemaLevel } from './schema-level';
import { rethrowListenError } from './listen-error';

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
  /** The names of the code's migrations, in order: checked at start (mysql.schema_check) and shown by /health. */
  migrations?: readonly string[];
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

function listenHttp(server: http.Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Closes the HTTP server, letting in-flight requests finish within the deadline. */
async function closeHttp(server: http.Server, deadlineMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => {
    logger.warn('HTTP requests still running at the shutdown deadline; closing their connections');
    server.closeAllConnections();
  }, deadlineMs);
  timer.unref();
  // Keep-alive connections that become idle during the drain are closed as they do.
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  sweep.unref();
  await closed;
  clearTimeout(timer);
  clearInterval(sweep);
}

/** Kept of server.shutdown_timeout_ms for closing connections once requests have drained. */
const CLOSE_RESERVE_MS = 500;
/** Kept of it for the last log line, the metrics and the log flush. */
const FINAL_RESERVE_MS = 100;

/** Waits for `work` at most `ms`; past that, says what is left behind and moves on (the process is exiting). */
async function withinDeadline(work: Promise<unknown>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
    timer.unref();
  });
  const outcome = await Promise.race([
    work.then(
      () => 'done' as const,
      () => 'done' as const,
    ),
    late,
  ]);
  clearTimeout(timer);
  if (outcome === 'late') {
    logger.warn(`${what} did not finish by the shutdown deadline; stopping without waiting for them`, {
      waited_ms: ms,
    });
  }
}

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
    redis.connect().then(
      () => warnIfRedisEvicts(redis),
      (err: Error) => {
        logger.warn('Redis is not reachable at start; cached reads go to MySQL until it is back', {
          error: err.message,
        });
      },
    ),
  ]);
}

/**
 * Starts the process in order — logger and metrics, connections, HTTP,
 * Thrift, then background services — and returns a handle that stops it in
 * reverse order.
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
  await connectDependencies(resources);
  const migrationNames = modules.migrations ?? [];
  if (migrationNames.length > 0) {
    resources.health.setSchema(() => schemaLevel(resources.sequelize, migrationNames));
    try {
      await checkSchemaAtStart(config, resources.sequelize, migrationNames);
    } catch (err) {
      await Promise.allSettled([resources.sequelize.close(), quitRedis(resources.redis)]);
      throw err;
    }
  }
  const closePrepared = (await modules.prepare?.(resources)) ?? (() => Promise.resolve());
  const closeResources = async (): Promise<void> => {
    await closePrepared();
    await Promise.allSettled([resources.sequelize.close(), quitRedis(resources.redis)]);
  };

  let draining = false;
  const isDraining = (): boolean => draining;
  const routes = [...systemRoutes(resources.health, isDraining), ...modules.routes(resources)];
  const security = modules.security?.(resources);
  const app = createHttpApp({
    routes,
    bodyLimit: config.http.body_limit,
    jsonMaxDepth: config.http.json_max_depth,
    requestTimeoutMs: config.http.request_timeout_ms,
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
  const deadlines = { headersMs: config.http.headers_timeout_ms, requestMs: config.http.body_timeout_ms };
  const httpServer = createHttpServer(app, deadlines);
  httpServer.keepAliveTimeout = config.http.keep_alive_timeout_ms;
  let httpAddress: AddressInfo;
  try {
    httpAddress = await listenHttp(httpServer, config.http.port, config.http.host).catch(
      rethrowListenError({ name: 'HTTP', section: 'http', ...config.http }),
    );
  } catch (err) {
    await closeResources();
    throw err;
  }

  let metricsServer: http.Server | undefined;
  let metricsAddress: AddressInfo | undefined;
  if (config.metrics.port !== null) {
    const metricsApp = createHttpApp({
      routes: [],
      bodyLimit: '1kb',
      jsonMaxDepth: 1,
      trustProxy: false,
      accessLog: false,
      isDraining,
      raw: (expressApp) => mountMetrics(expressApp, config.metrics.allowed_networks),
    });
    metricsServer = createHttpServer(metricsApp, deadlines);
    try {
      metricsAddress = await listenHttp(metricsServer, config.metrics.port, config.metrics.host).catch(
        rethrowListenError({
          name: 'metrics',
          section: 'metrics',
          host: config.metrics.host,
          port: config.metrics.port,
        }),
      );
    } catch (err) {
      await closeHttp(httpServer, 0);
      await closeResources();
      throw err;
    }
  }

  const inFlight = new InFlight();
  const thriftServer = new ThriftServer({
    processor: modules.thriftProcessor(resources, inFlight),
    limits: {
      maxFrameBytes: config.thrift.max_frame_bytes,
      maxBufferedBytes: config.thrift.max_buffered_bytes,
      readTimeoutMs: config.thrift.read_timeout_ms,
      idleTimeoutMs: config.thrift.idle_timeout_ms,
      maxConnections: config.thrift.max_connections,
    },
    tls: config.thrift.tls,
    allowedNetworks: config.thrift.allowed_networks,
    inFlight,
  });
  let thriftAddress: AddressInfo;
  try {
    thriftAddress = await thriftServer
      .listen(config.thrift.port, config.thrift.host)
      .catch(rethrowListenError({ name: 'Thrift', section: 'thrift', ...config.thrift }));
  } catch (err) {
    await closeHttp(httpServer, 0);
    if (metricsServer) await closeHttp(metricsServer, 0);
    await closeResources();
    throw err;
  }

  const stopGauges = startRuntimeGauges(resources.sequelize);
  const stopServices: (() => Promise<void>)[] = [];
  for (const start of modules.services ?? []) stopServices.push(await start(resources));

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
      // The deadline holds whatever is stuck (a frozen MySQL under a request, a QUIT Redis never
      // answers): every step gets what is left of it, and the last part is kept for closing connections.
      const endBy = Date.now() + deadline;
      const closeReserve = Math.min(CLOSE_RESERVE_MS, deadline / 4);
      const left = (reserve = 0): number => Math.max(0, endBy - reserve - Date.now());
      stopGauges();
      await withinDeadline(
        (async () => {
          for (const stopService of stopServices.reverse()) await stopService();
        })(),
        left(closeReserve),
        'background services',
      );
      await Promise.all([
        closeHttp(httpServer, left(closeReserve)),
        thriftServer.close(left(closeReserve)),
        metricsServer ? closeHttp(metricsServer, left(closeReserve)) : undefined,
      ]);
      // Queues, clients and stores close only now: the requests that just drained were using them.
      // The very end (the last line, metrics and log flushed) is kept out of it too.
      await withinDeadline(
        closeResources(),
        left(Math.min(FINAL_RESERVE_MS, deadline / 10)),
        'closing connections and stores',
      );
      logger.info('stopped');
      await statsd.close();
      await flushLogger();
    })();
    return stopping;
  };

  return { resources, http: httpAddress, thrift: thriftAddress, metrics: metricsAddress, stop };
}
