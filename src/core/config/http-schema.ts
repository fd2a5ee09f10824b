import { z } from 'zod';
import { cidrList, host, port, section, trustProxyFromText } from './schema-parts';

/**
 * The configuration of the HTTP door: its listener and limits (`http`), staff
 * logins and sessions (`auth`), and where `/metrics` is served (`metrics`).
 */

export const httpSection = section({
  enabled: z
    .boolean()
    .default(true)
    .describe('Serve the HTTP door; off for a Thrift-only host (metrics.port then answers /ping and /health).'),
  host: host.default('127.0.0.1').describe('Address the HTTP server binds.'),
  port: port.default(8000).describe('HTTP port; 0 picks a free one.'),
  body_limit: z
    .string()
    .regex(/^\d+(b|kb|mb)$/)
    .default('1mb')
    .describe('Largest accepted request body, e.g. 100kb or 1mb.'),
  json_max_depth: z.number().int().min(1).default(32).describe('Deepest nesting accepted in a JSON body.'),
  request_timeout_ms: z
    .number()
    .int()
    .min(0)
    .default(10000)
    .describe(
      'Ceiling of one HTTP request, authentication included: past it the caller gets 503 (code 103) with Retry-After. 0: none.',
    ),
  max_in_flight: z
    .number()
    .int()
    .min(0)
    .default(64)
    .describe(
      'HTTP requests served at once; one more is answered 503 (code 102) with Retry-After at once instead of queueing. /ping, /health and /metrics are never shed. 0: no limit.',
    ),
  keep_alive_timeout_ms: z
    .number()
    .int()
    .min(0)
    .default(65000)
    .describe('Idle keep-alive connection timeout; above a load balancer idle timeout.'),
  trust_proxy: z
    .preprocess(
      trustProxyFromText,
      z.union([z.literal(false), z.number().int().min(0).max(10), cidrList().min(1)], {
        error:
          'expected false, the number of proxies in front (e.g. 1), or their networks in CIDR form (true is refused: it would believe the address the client writes)',
      }),
    )
    .default(false)
    .describe(
      'Which X-Forwarded-For entry is the client: the number of proxies in front of tandem (1 for one load balancer), or the networks of those proxies; counted from the right. false (or 0) uses the socket address.',
    ),
  body_timeout_ms: z
    .number()
    .int()
    .min(1000)
    .default(30_000)
    .describe(
      'A request body must have arrived within this from its first byte (and before request_timeout_ms); a slower one gets 408 and is closed.',
    ),
  headers_timeout_ms: z
    .number()
    .int()
    .min(1000)
    .default(10_000)
    .describe('The request headers must have arrived within this; slower ones get 408 and are closed.'),
  docs: z
    .boolean()
    .default(true)
    .describe('Serve the API pages /docs and /openapi.json (turn off in prod if you like).'),
  cors_origins: z
    .array(z.string())
    .default([])
    .describe('Browser origins allowed to call the API (CORS); empty allows none.'),
});

export const authSection = section({
  session_ttl_seconds: z
    .number()
    .int()
    .min(60)
    .default(8 * 3600)
    .describe('How long a staff session lasts after login.'),
  session_cache_ms: z
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(2000)
    .describe(
      'How long a session read from Redis is reused from memory; revocations reach every process at once over Redis pub/sub, this bounds a lost one. 0 reads Redis on every request.',
    ),
  session_outage_grace_ms: z
    .number()
    .int()
    .min(0)
    .max(15 * 60_000)
    .default(60_000)
    .describe(
      'While Redis is unreachable, a session read from it within this long keeps working (revocations wait for Redis); 0 fails every request that needs a session.',
    ),
  login_max_failures_per_user: z
    .number()
    .int()
    .min(1)
    .default(5)
    .describe('Failed logins for one username before it is paused for the window.'),
  login_max_failures_per_address: z
    .number()
    .int()
    .min(1)
    .default(20)
    .describe('Failed logins from one client address before it is paused for the window.'),
  login_window_seconds: z
    .number()
    .int()
    .min(1)
    .default(900)
    .describe('The window over which failed logins are counted, in seconds.'),
});

export const metricsSection = section({
  port: port
    .nullable()
    .default(null)
    .describe('Serve GET /metrics on this port of its own (0 picks a free one); null serves it on the HTTP port.'),
  host: host.default('127.0.0.1').describe('Address the metrics port binds, when it has one.'),
  allowed_networks: cidrList()
    .default([])
    .describe('Client networks (CIDR) allowed to read /metrics; empty allows all.'),
});
