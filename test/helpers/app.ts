import { bothDoors, startApp, type AppModules, type RunningApp, type StartedApp } from '../../src/core/app/app';
import { buildConfig, type Config, type ConfigInput } from '../../src/core/config';
import { appModules } from '../../src/modules';
import { preloadDocument } from './openapi-fetch-check';
import { assertOwnDatabase } from './own-database';

/** Deep-merges plain objects; arrays and scalars of `over` win. */
function merge<T>(base: T, over: unknown): T {
  if (typeof over !== 'object' || over === null || Array.isArray(over)) return (over ?? base) as T;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(over)) out[key] = merge(out[key], value);
  return out as T;
}

/**
 * Configuration for a test: ports 0 (free ones), the test database, statsd
 * off, logs at warn. The caller's TANDEM_* variables never reach it (the
 * suite removes them at start), and a database other than the suite's own is
 * refused.
 */
export function testConfig(overrides: ConfigInput = {}): Config {
  const base: ConfigInput = {
    env: 'test',
    statsd: { enabled: false },
    log: { level: 'warn', access: false },
    // The schema check is tested on its own (schema-check.test.ts); elsewhere it would only add lines.
    mysql: { database: 'tandem_test', schema_check: 'off' },
    redis: { key_prefix: `tandem-test-${process.pid}:` },
    server: {
      shutdown_timeout_ms: 2000,
      drain_delay_ms: 0,
      scheduler: false,
      // Admission is off unless a test turns it on: a loaded CI machine lags, and tests hold calls open.
      max_event_loop_lag_ms: 0,
    },
    http: { port: 0, max_in_flight: 0 },
    thrift: { port: 0, max_in_flight: 0, caller_max_in_flight: 0 },
  };
  const config = buildConfig(merge(base, overrides), process.env);
  assertOwnDatabase(config.mysql.database, 'testConfig');
  return config;
}

/** Starts the whole app in this process on free ports, both doors open; call `stop()` after. */
export async function startTestApp(
  overrides: ConfigInput = {},
  modules: AppModules = appModules(),
): Promise<RunningApp> {
  const app = await startApp(testConfig(overrides), modules);
  await preloadDocument(baseUrl(bothDoors(app)));
  return bothDoors(app);
}

/** Starts the app as configured, a door possibly off (http.enabled, thrift.enabled); call `stop()` after. */
export function startTestAppAsConfigured(overrides: ConfigInput = {}): Promise<StartedApp> {
  return startApp(testConfig(overrides), appModules());
}

export function baseUrl(app: RunningApp): string {
  return `http://127.0.0.1:${app.http.port}`;
}
