import cron from 'node-cron';
import { parseCidr } from './cidr';
import { hostPortText } from './host-port';
import { RISKS } from './safety';
import { z } from 'zod';
import { thirdpartySchema } from './thirdparty-schema';

/**
 * The one configuration schema. Every key has a type, a default where one is
 * safe, and a line of doc (`describe`). Its environment variable is derived
 * from its path: `http.port` -> `TANDEM_HTTP_PORT`.
 *
 * `config.example.ts` documents the same keys for people; a unit test checks
 * that it names every key declared here.
 */

const port = z.number().int().min(0).max(65535);

/** A config section: unknown keys are errors, and a missing section takes its defaults. */
function section<T extends z.ZodRawShape>(shape: T) {
  // Every key of a section has a default, so {} is a valid input; generics cannot prove it.
  return z.strictObject(shape).prefault({} as never);
}
const host = z.string().min(1);

/** One timed job's switch: whether its ticks run in this environment, and when it ticks. */
function jobSwitch(defaultCron: string, what: string) {
  return section({
    enabled: z
      .boolean()
      .default(true)
      .describe(
        `Run ${what} on its schedule; off, its ticks are skipped (skipped_disabled) and npm run job needs --force.`,
      ),
    cron: z
      .string()
      .refine(
        (expression) => cron.validate(expression),
        'must be a node-cron expression (six fields put seconds first)',
      )
      .default(defaultCron)
      .describe(`When ${what} ticks: a node-cron expression (six fields put seconds first).`),
  });
}

/** A list of IP networks in CIDR form (allow-lists, trusted proxies). */
function cidrList() {
  return z
    .array(z.string())
    .refine(
      (networks) => networks.every((cidr) => parseCidr(cidr) !== undefined),
      'each entry must be an IP network in CIDR form, e.g. 10.0.0.0/8',
    );
}

/** `TANDEM_HTTP_TRUST_PROXY` as text: `false`, a number of hops, or networks separated by commas. */
function trustProxyFromText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (text === 'false') return false;
  if (/^\d+$/.test(text)) return Number(text);
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export const configSchema = z
  .object({
    env: z.enum(['dev', 'test', 'prod']).default('dev').describe('Which environment this is.'),
    accept_risks: z
      .array(z.enum(RISKS))
      .default([])
      .describe(
        'Known-unsafe prod settings to run with anyway: mysql_root, mysql_no_password, metrics_open, thrift_open.',
      ),
    service_name: z.string().min(1).default('tandem').describe('Name in logs, metrics and outgoing calls.'),
    http: section({
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
    }),
    auth: section({
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
    }),
    metrics: section({
      port: port
        .nullable()
        .default(null)
        .describe('Serve GET /metrics on this port of its own (0 picks a free one); null serves it on the HTTP port.'),
      host: host.default('127.0.0.1').describe('Address the metrics port binds, when it has one.'),
      allowed_networks: cidrList()
        .default([])
        .describe('Client networks (CIDR) allowed to read /metrics; empty allows all.'),
    }),
    thrift: section({
      enabled: z.boolean().default(true).describe('Serve the Thrift door; off for an HTTP-only host.'),
      host: host.default('127.0.0.1').describe('Address the Thrift server binds.'),
      port: port.default(9090).describe('Thrift port; 0 picks a free one.'),
      max_frame_bytes: z
        .number()
        .int()
        .min(1024)
        .default(16 * 1024 * 1024)
        .describe(
          'Largest accepted Thrift message, and so the most one connection holds for a message still arriving; a larger one closes its connection.',
        ),
      max_buffered_bytes: z
        .number()
        .int()
        .min(1024)
        .default(64 * 1024 * 1024)
        .describe(
          'The most all Thrift connections together hold for messages still arriving; a message that would pass it closes its connection and is counted.',
        ),
      read_timeout_ms: z
        .number()
        .int()
        .min(0)
        .default(10_000)
        .describe('How long a Thrift message may take to arrive once its first byte is in; 0 turns the deadline off.'),
      first_byte_timeout_ms: z
        .number()
        .int()
        .min(0)
        .default(10_000)
        .describe(
          'A new Thrift connection that sends no byte for this long is closed (a pool that opens connections ahead of use reconnects); 0 turns it off.',
        ),
      idle_timeout_ms: z
        .number()
        .int()
        .min(0)
        .default(300_000)
        .describe('A Thrift connection with no byte either way for this long is closed; 0 keeps idle connections.'),
      call_deadline_ms: z
        .number()
        .int()
        .min(0)
        .default(10_000)
        .describe(
          "The deadline of one Thrift call as its outgoing calls see it: a sibling service's client never retries or waits past it. 0: none.",
        ),
      max_connections: z
        .number()
        .int()
        .min(1)
        .default(512)
        .describe(
          'Open Thrift connections at most; at the cap the oldest connection that has sent no byte makes room, or a new one is closed at once and counted.',
        ),
      max_connections_per_address: z
        .number()
        .int()
        .min(1)
        .default(128)
        .describe(
          "Open Thrift connections from one client address at most; at the cap that address's oldest silent connection makes room, or a new one is closed.",
        ),
      max_struct_fields: z
        .number()
        .int()
        .min(16)
        .default(1024)
        .describe(
          'Fields one struct of a Thrift request may carry, unknown ones included; more closes the connection.',
        ),
      max_message_values: z
        .number()
        .int()
        .min(100)
        .default(10_000)
        .describe(
          'Values (fields and collection elements) one Thrift request may carry; more closes the connection. Bounds the time one message takes to decode.',
        ),
      max_depth: z
        .number()
        .int()
        .min(4)
        .max(64)
        .default(64)
        .describe('Nesting of structs and collections one Thrift request may have; deeper closes the connection.'),
      allowed_networks: cidrList().default([]).describe('Client networks (CIDR) allowed to connect; empty allows all.'),
      tls: section({
        key: z
          .string()
          .min(1)
          .nullable()
          .default(null)
          .describe('PEM private key file of the Thrift port; with cert, the port speaks TLS only.'),
        cert: z.string().min(1).nullable().default(null).describe('PEM certificate (chain) file of the Thrift port.'),
        ca: z
          .string()
          .min(1)
          .nullable()
          .default(null)
          .describe('PEM file of the CAs whose client certificates identify callers; null trusts none.'),
        require_client_cert: z
          .boolean()
          .default(false)
          .describe('Mutual TLS: refuse a client without a certificate signed by thrift.tls.ca.'),
      }),
      max_in_flight: z
        .number()
        .int()
        .min(0)
        .default(64)
        .describe(
          'Thrift calls served at once; one more is answered ServerException 102 (OVERLOADED) at once instead of queueing. ping and hello are never shed. 0: no limit.',
        ),
      caller_max_in_flight: z
        .number()
        .int()
        .min(0)
        .default(32)
        .describe(
          "Thrift calls served at once for one caller (its name as thrift.callers knows it, else its address); one more is that caller's ServerException 102 while others are served. 0: no limit.",
        ),
      callers: z
        .record(z.string().min(1), z.array(z.string().min(1)))
        .nullable()
        .default(null)
        .describe(
          'Which caller may call which methods ("*" for all): keys are a TLS client certificate CN, else the name from THeader or hello. null lets anyone call anything.',
        ),
    }),
    server: section({
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
      shed_retry_after_seconds: z
        .number()
        .int()
        .min(0)
        .default(1)
        .describe('The Retry-After (seconds) of a shed answer.'),
      scheduler: z.boolean().default(true).describe('Run the timed jobs in this server (off for web-only nodes).'),
    }),
    log: section({
      level: z.enum(['error', 'warn', 'info', 'debug']).default('info').describe('Lowest level written.'),
      file: z.string().default('').describe('Append log lines to this file instead of standard output.'),
      access: z.boolean().default(true).describe('One access line per HTTP request and Thrift call.'),
      slow_query_ms: z.number().int().min(0).default(200).describe('A query slower than this is logged at warn.'),
    }),
    trace: section({
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
    }),
    statsd: section({
      host: host.default('127.0.0.1').describe('statsd host (UDP).'),
      port: port.default(8125).describe('statsd port (UDP).'),
      prefix: z.string().default('tandem.').describe('Prefix of every metric name.'),
      enabled: z.boolean().default(true).describe('Send metrics to statsd.'),
    }),
    mysql: section({
      host: host.default('127.0.0.1').describe('MySQL/MariaDB primary host.'),
      port: port.default(3306).describe('MySQL/MariaDB primary port.'),
      user: z.string().default('root').describe('MySQL user.'),
      password: z.string().default('').describe('MySQL password (a secret: keep it out of git).'),
      database: z.string().min(1).default('tandem').describe('Database name.'),
      replicas: z
        .array(hostPortText({ defaultPort: 3306 }))
        .default([])
        .describe(
          'Read replicas as host:port (port 3306 when left out, IPv6 in brackets); empty reads from the primary.',
        ),
      pool_max: z.number().int().min(1).default(10).describe('Most connections per pool.'),
      pool_min: z.number().int().min(0).default(0).describe('Fewest connections kept per pool.'),
      pool_idle_ms: z.number().int().min(0).default(10000).describe('Idle time before a pooled connection is closed.'),
      pool_acquire_ms: z
        .number()
        .int()
        .min(0)
        .default(5000)
        .describe('Longest wait for a pooled connection before the request fails.'),
      query_timeout_ms: z
        .number()
        .int()
        .min(0)
        .default(5000)
        .describe('Longest wait for one query (and for a connection handshake); 0 waits forever.'),
      replica_out_ms: z
        .number()
        .int()
        .min(100)
        .default(30000)
        .describe('How long a replica that failed is left out before reads try it again.'),
      schema_check: z
        .enum(['refuse', 'warn', 'off'])
        .default('warn')
        .describe(
          "At start, a database behind the code's migrations refuses the start, is warned about, or is not checked.",
        ),
    }),
    redis: section({
      url: z.string().default('redis://127.0.0.1:6379/0').describe('Redis URL.'),
      key_prefix: z.string().default('tandem:').describe('Prefix of every key we write.'),
      command_timeout_ms: z.number().int().min(1).default(1000).describe('Longest wait for one Redis command.'),
      sentinels: z
        .array(hostPortText())
        .default([])
        .describe(
          "Redis Sentinels as host:port (IPv6 in brackets; comma-separated in the variable); when set, the primary is asked of them and redis.url's host and port are ignored (its password and db still apply).",
        ),
      sentinel_name: z.string().min(1).default('mymaster').describe('The primary group name the Sentinels watch.'),
      sentinel_password: z.string().default('').describe("The Sentinels' own password (requirepass); empty: none."),
      wait_replicas: z
        .number()
        .int()
        .min(0)
        .default(0)
        .describe(
          'Replicas that must acknowledge a session creation, a tick claim and an enqueue (WAIT) before it counts; 0: no wait.',
        ),
      wait_timeout_ms: z
        .number()
        .int()
        .min(1)
        .default(500)
        .describe('Longest wait for those acknowledgements; a write short of them counts as failed.'),
    }),
    queue: section({
      concurrency: z.number().int().min(1).default(4).describe('Jobs one worker process runs at once, per queue.'),
      lock_ms: z
        .number()
        .int()
        .min(500)
        .default(30000)
        .describe("How long a worker holds a job without renewing; a killed worker's job is taken over after it."),
      stalled_check_ms: z
        .number()
        .int()
        .min(500)
        .default(30000)
        .describe('How often workers look for jobs whose worker died.'),
      keep_completed_seconds: z
        .number()
        .int()
        .min(0)
        .default(7 * 86400)
        .describe('How long finished jobs are kept, so an idempotency key still dedupes.'),
      drain_timeout_ms: z
        .number()
        .int()
        .min(0)
        .default(30000)
        .describe('How long a stopping worker waits for its running jobs.'),
      metrics_port: port
        .default(0)
        .describe(
          'Port on which the worker (make worker) serves GET /metrics for Prometheus, bound to metrics.host and limited to metrics.allowed_networks; 0 serves none.',
        ),
    }),
    scheduler: section({
      lock_ms: z
        .number()
        .int()
        .min(1000)
        .default(10 * 60 * 1000)
        .describe('How long a tick stays claimed, so no other instance runs the same tick.'),
      claim_retry_ms: z
        .number()
        .int()
        .min(50)
        .default(500)
        .describe('Pause before a tick claim that Redis refused or no replica acknowledged is tried again.'),
      claim_attempts: z
        .number()
        .int()
        .min(1)
        .default(20)
        .describe('Tries of one tick claim, the first included, before the tick is skipped.'),
    }),
    jobs: section({
      cs: section({
        escalate_stale: jobSwitch('0 * * * * *', 'the escalation of stale customer-service events'),
        daily_report: jobSwitch('0 30 6 * * *', 'the daily customer-service report (Asia/Shanghai time)'),
      }),
      risk: section({
        scan: jobSwitch('30 * * * * *', 'the risk scan of new zeus orders'),
      }),
    }),
    cs: section({
      stale_after_minutes: z
        .number()
        .int()
        .min(1)
        .default(24 * 60)
        .describe('An event not done and untouched for this long gets its priority raised one step.'),
    }),
    thirdparty: thirdpartySchema.describe('Sibling services called over Thrift, one section per service name.'),
    risk: section({
      scan_page_size: z
        .number()
        .int()
        .min(1)
        .max(1000)
        .default(200)
        .describe('Orders read from zeus per call of a scan.'),
      scan_max_pages: z
        .number()
        .int()
        .min(1)
        .default(50)
        .describe('Most pages one scan reads; the next scan goes on from the cursor.'),
      report_attempts: z
        .number()
        .int()
        .min(1)
        .default(8)
        .describe('Tries of reporting a fraud verdict to zeus before it is parked as failed.'),
      report_backoff_ms: z
        .number()
        .int()
        .min(1)
        .default(5000)
        .describe('Wait before the first retry of a report; doubles each time.'),
    }),
    mongo: section({
      url: z
        .string()
        .default('')
        .describe('MongoDB URL; set it to store suspicious orders in MongoDB, empty uses MySQL.'),
    }),
  })
  .strict()
  .superRefine((config, ctx) => {
    // A host without the HTTP door still needs /health for its balancer and the deploy's health gate.
    if (!config.http.enabled && config.metrics.port === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['metrics', 'port'],
        message:
          'must be set when http.enabled is false: /ping, /health and /metrics are then served on the metrics port',
      });
    }
  });

export type Config = z.infer<typeof configSchema>;

/**
 * What a config file may hold: any subset of the keys. `zeus` is the former
 * shape of `thirdparty.zeus` (one host and port), still read with a warning.
 */
export type ConfigInput = z.input<typeof configSchema> & {
  /** @deprecated Write thirdparty.zeus (instances: ['host:port']) instead. */
  zeus?: Record<string, unknown>;
};
