import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { currentRelease } from './release';

/**
 * The Prometheus registry served at GET /metrics: the four golden signals
 * (latency, traffic, errors, saturation) for HTTP and Thrift, plus Node's
 * default process metrics (event-loop lag, heap, handles).
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'tandem_' });

const buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const httpDuration = new Histogram({
  name: 'tandem_http_request_duration_seconds',
  help: 'HTTP request latency by route template, method and status class.',
  labelNames: ['method', 'route', 'status'] as const,
  buckets,
  registers: [registry],
});

export const thriftDuration = new Histogram({
  name: 'tandem_thrift_call_duration_seconds',
  help: 'Thrift call latency by method and outcome.',
  labelNames: ['method', 'outcome'] as const,
  buckets,
  registers: [registry],
});

/**
 * Requests and calls being served now, by protocol. The serving code counts
 * here (a plain increment per request) and the gauge reads the counts when
 * it is scraped, instead of a labelled gauge update per request and reply.
 */
export const inFlightNow = { http: 0, thrift: 0 };

export const inFlight = new Gauge({
  name: 'tandem_in_flight',
  help: 'Requests and calls being served now (saturation).',
  labelNames: ['protocol'] as const,
  registers: [registry],
  collect() {
    this.set({ protocol: 'http' }, inFlightNow.http);
    this.set({ protocol: 'thrift' }, inFlightNow.thrift);
  },
});

export const thriftRejected = new Counter({
  name: 'tandem_thrift_connections_rejected_total',
  help: 'Thrift connections closed for bad input: garbage, oversize frame, disallowed address.',
  labelNames: ['reason'] as const,
  registers: [registry],
});

/** Requests and calls refused at admission (answered 503 / ServerException 102 at once), by door and reason. */
export const shedTotal = new Counter({
  name: 'tandem_shed_total',
  help: 'Requests and calls shed at admission, by door (http, thrift) and reason (door, caller, lag).',
  labelNames: ['door', 'reason'] as const,
  registers: [registry],
});

export const errorsTotal = new Counter({
  name: 'tandem_errors_total',
  help: 'Errors by protocol and class (UserError, AuthError, ServerError, ThirdPartyError, DevError).',
  labelNames: ['protocol', 'kind'] as const,
  registers: [registry],
});

/** Always 1, labelled with the release this process runs, so a dashboard shows a rolling deploy host by host. */
export const buildInfo = new Gauge({
  name: 'tandem_build_info',
  help: 'The release this process runs (value 1; the labels carry the commit and the release directory).',
  labelNames: ['version', 'release'] as const,
  registers: [registry],
  // Workers of one server run one release: summed across them it would read 2, 3...
  aggregator: 'max',
  collect() {
    const { version, release } = currentRelease();
    this.set({ version, release }, 1);
  },
});
