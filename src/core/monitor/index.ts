import { Statsd } from './statsd';

export { metricSegment } from './statsd';
export type { StatsdOptions } from './statsd';
export * as prom from './prometheus';

/**
 * The process's statsd client. It starts disabled (sending nothing) and is
 * pointed at statsd by the app at start from `statsd.*` config.
 */
export const statsd = new Statsd({ host: '127.0.0.1', port: 8125, prefix: 'tandem.', enabled: false });
