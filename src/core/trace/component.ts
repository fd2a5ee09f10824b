import type { Config } from '../config';
import { logger } from '../log';
import { currentRelease } from '../monitor/release';
import { startTracing, stopTracing, type TraceIdentity } from './setup';

/** The resource a process's spans carry: service name (with its role, for a worker), release version, env. */
export function traceIdentity(config: Config, role?: string): TraceIdentity {
  return {
    service: role ? `${config.service_name}-${role}` : config.service_name,
    version: currentRelease().version,
    env: config.env,
  };
}

/** Tracing as a lifecycle component of the server: on at start when configured, flushed and off at stop. */
export function tracingComponent(config: Config): {
  name: string;
  start: () => Promise<void>;
  stop: () => Promise<void>;
} {
  return {
    name: 'traces',
    start: () => {
      startTracing(config.trace, traceIdentity(config), (message, fields) => logger.warn(message, fields));
      return Promise.resolve();
    },
    stop: () => stopTracing(),
  };
}
