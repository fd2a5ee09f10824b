import { z } from 'zod';
import { host, port, section } from './schema-parts';

/**
 * How the process runs and reports: workers, shedding and shutdown
 * (`server`), log lines (`log`), OpenTelemetry export (`trace`) and statsd
 * (`statsd`).
 */

export const serverSection = section({
  workers: z
    .number()
    .int()
    .min(1)
    .max(64)
    .default(1)
    .describe('Processes serving HTTP and Thrift; more than 1 uses node:cluster.'),
  shutdown_timeout_ms: z
    .number()
    .int()
    .min(0)
    .default(10000)
    .describe('How long in-flight requests and calls may run after a stop signal.'),
  drain_delay_ms: z
    .number()
    .int()
    .min(0)
    .default(5000)
    .describe(
      'After a stop signal, how long /health answers 503 while the listeners stay open, so a load balancer stops sending first.',
    ),
  max_event_loop_lag_ms: z
    .number()
    .int()
    .min(0)
    .default(100)
    .describe(
      'Event-loop lag past which new HTTP requests and Thrift calls are shed (503 / ServerException 102) until it falls back; 0 turns the guard off.',
    ),
  shed_retry_after_seconds: z.number().int().min(0).default(1).describe('The Retry-After (seconds) of a shed answer.'),
  scheduler: z.boolean().default(true).describe('Run the timed jobs in this server (off for web-only nodes).'),
});

export const logSection = section({
  level: z.enum(['error', 'warn', 'info', 'debug']).default('info').describe('Lowest level written.'),
  file: z.string().default('').describe('Append log lines to this file instead of standard output.'),
  access: z.boolean().default(true).describe('One access line per HTTP request and Thrift call.'),
  slow_query_ms: z.number().int().min(0).default(200).describe('A query slower than this is logged at warn.'),
});

export const traceSection = section({
  otlp_url: z
    .string()
    .default('')
    .refine(
      (url) => url === '' || (/^https?:\/\/[^/]/.test(url) && url.endsWith('/v1/traces')),
      'must be empty (tracing off) or an http(s) URL ending in /v1/traces, e.g. http://127.0.0.1:4318/v1/traces',
    )
    .describe('OTLP/HTTP (protobuf) endpoint spans are sent to, ending in /v1/traces; empty turns tracing off.'),
  sample_ratio: z
    .number()
    .min(0)
    .max(1)
    .default(1)
    .describe('Share of new traces kept (0..1); a caller that sends a traceparent decides for its own trace.'),
  export_delay_ms: z
    .number()
    .int()
    .min(1)
    .default(2000)
    .describe('How long ended spans wait to be sent in one batch (ms).'),
});

export const statsdSection = section({
  host: host.default('127.0.0.1').describe('statsd host (UDP).'),
  port: port.default(8125).describe('statsd port (UDP).'),
  prefix: z.string().default('tandem.').describe('Prefix of every metric name.'),
  enabled: z.boolean().default(true).describe('Send metrics to statsd.'),
});
