import { Statsd } from './statsd';

export { metricSegment } from './statsd';
export type { StatsdOptions } from './statsd';
export * as prom from './prometheus';
// Registers the dependency and job series on the same registry, in every process that has one.
export * as dependencyMetrics from './dependency-metrics';

/**
 * The process's statsd client. It starts disabled (sending nothing) and is
 * pointed at statsd by the app at start from `statsd.*` config.
 */
export const statsd = new Statsd({ host: '127.0.0.1', port: 8125, prefix: 'tandem.', enabled: false });
