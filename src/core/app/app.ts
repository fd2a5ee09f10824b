import type { AddressInfo } from 'node:net';
import type express from 'express';
import type { Redis } from 'ioredis';
import type { Sequelize } from 'sequelize';
import type { HttpAppOptions } from '../api/http-app';
import type { Route } from '../api/route';
import type { HttpSecurity } from '../api/security';
import { acceptedRisks, type Config } from '../config';
import { createSequelize } from '../db/mysql';
import { redisConnection, quitRedis, warnIfRedisEvicts } from '../db/redis';
import { configureLogger, flushLogger, logger } from '../log';
import { statsd } from '../monitor';
import { startRuntimeGauges } from '../monitor/runtime';
import { type Admission, admissionFor, type Door } from '../pipeline';
import { type InFlight, routeThriftLibraryLog, type ThriftProcessor } from '../rpc';
import { tracingComponent } from '../trace';
import { HealthRegistry } from './health';
import { httpServer, metricsServer } from './http-servers';
import { type Component, Lifecycle } from './lifecycle';
import { httpListener, thriftListener } from './listeners';
import { checkSchemaAtStart, schemaLevel } from './schema-level';

/** The shared resources of a running process, created at start and closed at stop. */
export interface Resources {
  config: Config;
  sequelize: Sequelize;
  redis: Redis;
  health: HealthRegistry;
  /** Each door's admission (limits and lag guard): the HTTP app and the Thrift handler wrapper ask it. */
  admission: Record<Door, Admission>;
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

export interface StartedApp {
  resources: Resources;
  /** The HTTP door's address; undefined when http.enabled is off. */
  http: AddressInfo | undefined;
  /** The metrics port, when metrics.port gives /metrics (and, with http.enabled off, /ping and /health) one of its own. */
  metrics?: AddressInfo | undefined;
  /** The Thrift door's address; undefined when thrift.enabled is off. */
  thrift: AddressInfo | undefined;
  /**
   * Stops in reverse order of start; resolves when everything is closed. The
   * first call decides: `drainDelay: false` skips server.drain_delay_ms, for a
   * stop asked before the process said it serves (no balancer sends to it yet).
   */
  stop: (options?: StopOptions) => Promise<void>;
}

/** A started app that serves both doors, as the default configuration does. */
export type RunningApp = StartedApp & { http: AddressInfo; thrift: AddressInfo };

/** The app as serving both doors; an error naming the door that is off. */
export function bothDoors(app: StartedApp): RunningApp {
  const { http, thrift } = app;
  if (!http) throw new Error('the HTTP door is off (http.enabled is false)');
  if (!thrift) throw new Error('the Thrift door is off (thrift.enabled is false)');
  return { ...app, http, thrift };
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

/** A component with no stop of its own, or no start. */
const noop = (): Promise<void> => Promise.resolve();

/**
 * Starts the process as an ordered list of stages — connections, domains,
 * listeners (HTTP, metrics, Thrift), background services — and returns a
 * handle that stops them in reverse. A failure at start closes exactly what
 * had opened, and rethrows; so does `options.signal` aborted while the start
 * runs (a stop that came meanwhile), with StartStopped, before the next step.
 */
export async function startApp(
  config: Config,
  modules: AppModules,
  options: { signal?: AbortSignal } = {},
): Promise<StartedApp> {
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
    redis: redisConnection(config, 'main'),
    health: new HealthRegistry(),
    admission: { http: admissionFor('http', config), thrift: admissionFor('thrift', config) },
  };
  let draining = false;
  const isDraining = (): boolean => draining;
  let closePrepared: () => Promise<void> = noop;
  // A door that is off (http.enabled, thrift.enabled) is not listened on: a host can serve one door.
  const http = config.http.enabled
    ? httpListener(() => httpServer(resources, modules, isDraining), {
        name: 'HTTP',
        section: 'http',
        host: config.http.host,
        port: config.http.port,
      })
    : undefined;
  const metrics =
    config.metrics.port === null
      ? undefined
      : httpListener(() => metricsServer(resources, isDraining), {
          name: 'metrics',
          section: 'metrics',
          host: config.metrics.host,
          port: config.metrics.port,
        });
  const thrift = config.thrift.enabled
    ? thriftListener(config, (inFlight) => modules.thriftProcessor(resources, inFlight))
    : undefined;
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

  const migrationNames = modules.migrations ?? [];
  const finalReserve = Math.min(FINAL_RESERVE_MS, config.server.shutdown_timeout_ms / 10);
  const closeReserve = Math.min(CLOSE_RESERVE_MS, config.server.shutdown_timeout_ms / 4);
  const lifecycle = new Lifecycle([
    // First started, last stopped: the spans of everything below are sent before the process ends.
    { what: 'sending traces', components: [tracingComponent(config)] },
    {
      what: 'closing connections',
      reserveMs: finalReserve,
      components: [
        {
          // First to start, last to stop: a failed start stops the lag sampling the admissions began.
          name: 'admission',
          start: noop,
          stop: () => {
            resources.admission.http.close();
            resources.admission.thrift.close();
            return Promise.resolve();
          },
        },
        {
          name: 'MySQL and Redis',
          start: () => connectDependencies(resources),
          stop: async () => void (await Promise.allSettled([resources.sequelize.close(), quitRedis(resources.redis)])),
        },
        {
          // Before anything serves: a database behind the code is refused or warned about (mysql.schema_check).
          name: 'schema check',
          start: async () => {
            if (migrationNames.length === 0) return;
            resources.health.setSchema(() => schemaLevel(resources.sequelize, migrationNames));
            await checkSchemaAtStart(config, resources.sequelize, migrationNames);
          },
          stop: noop,
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
      components: [http, metrics, thrift].filter((c) => c !== undefined),
    },
    { what: 'background services', reserveMs: closeReserve, components: services },
  ]);
  await lifecycle.start(options.signal);

  const httpAddress = http?.address;
  const thriftAddress = thrift?.address;
  const where = (address: AddressInfo | undefined): string => (address ? `${address.address}:${address.port}` : 'off');
  logger.info('tandem is serving', {
    http: where(httpAddress),
    thrift: where(thriftAddress),
    ...(metrics?.address ? { metrics: where(metrics.address) } : {}),
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
        await sleepAtLeast(drainDelay);
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

/**
 * Waits `ms` at least by the monotonic clock. A timer counts from the event
 * loop's cached time, which lags the real one by however long the current
 * turn has run, so it can fire a few milliseconds before `ms` have passed:
 * the drain delay is a promise to the balancer, so the rest is waited too.
 */
async function sleepAtLeast(ms: number): Promise<void> {
  const until = performance.now() + ms;
  for (let left = ms; left > 0; left = until - performance.now()) {
    await new Promise((resolve) => setTimeout(resolve, Math.ceil(left)));
  }
}
