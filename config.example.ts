/**
 * tandem configuration, documented key by key.
 *
 * `make config ENV=dev|test|prod` copies this file to `config.ts` (git-ignored,
 * may hold secrets) with the `env` line below set. Every key may be left out
 * (its default applies) and every key can be overridden by an environment
 * variable named after its path: `http.port` -> `TANDEM_HTTP_PORT`,
 * `mysql.replicas` -> `TANDEM_MYSQL_REPLICAS` (comma-separated lists),
 * booleans as true/false. The process validates all of it at start and stops
 * with one line per bad key.
 *
 * With ENV=prod the file is a production one: both doors listen on every
 * interface, /docs is off, /metrics has a port of its own, MySQL connects as
 * `tandem` (scripts/create-mysql-user.sh) and the values only the deployment
 * knows say CHANGE ME. A start refuses a CHANGE ME left anywhere, and in prod
 * each known-unsafe value (accept_risks below). `npm run config -- print`
 * shows what a start would use and where each value came from.
 */
import type { ConfigInput } from './src/core/config';

type Env = 'dev' | 'test' | 'prod';
const env = 'dev' as Env;

/** Where a value must come from the deployment: a start refuses the file until each one is set. */
const CHANGE_ME = 'CHANGE ME';

const config: ConfigInput = {
  /** Which environment this is: dev, test or prod. */
  env,
  /**
   * Known-unsafe prod settings to run with anyway; a prod start refuses each one not named here, with
   * one line naming its key: 'mysql_root' (mysql.user root), 'mysql_no_password' (an empty
   * mysql.password), 'metrics_open' (/metrics on the public port with no allowed_networks),
   * 'thrift_open' (no thrift.callers, allowed_networks or client certificates). Default [].
   * Env: TANDEM_ACCEPT_RISKS=metrics_open,thrift_open.
   */
  accept_risks: [],
  /** Name in logs, metrics and outgoing calls. */
  service_name: 'tandem',

  http: {
    /**
     * Serve the HTTP door. Off for a Thrift-only host (the rpc role in deploy/environments.ts): then
     * metrics.port must be set, and it answers /ping and /health beside /metrics. Default true.
     */
    enabled: true,
    /** Address the HTTP server binds; 0.0.0.0 to serve other hosts. Default 127.0.0.1. */
    host: env === 'prod' ? '0.0.0.0' : '127.0.0.1',
    /** HTTP port; 0 picks a free one. Default 8000. */
    port: 8000,
    /** Largest accepted request body (b, kb, mb). Default 1mb. */
    body_limit: '1mb',
    /** Deepest nesting accepted in a JSON body. Default 32. */
    json_max_depth: 32,
    /**
     * Ceiling of one HTTP request in ms, authentication included: past it the caller gets 503 with
     * code 103 and Retry-After, whatever is still waiting. Keep it above mysql.query_timeout_ms plus
     * redis.command_timeout_ms. 0: no ceiling. Default 10000.
     */
    request_timeout_ms: 10000,
    /**
     * Requests served at once; one more is shed: 503 with code 102 (OVERLOADED) and Retry-After, at
     * once, instead of waiting in a queue. /ping, /health and /metrics are never shed. Size it to
     * what the process serves at its best latency (docs/resilience.md, make bench-overload).
     * 0: no limit. Default 64.
     */
    max_in_flight: 64,
    /** Idle keep-alive timeout in ms; keep it above your load balancer's. Default 65000. */
    keep_alive_timeout_ms: 65000,
    /**
     * Which X-Forwarded-For entry is the client, counted from the right as Express's `trust proxy`
     * does: the number of proxies in front of tandem (1 for one load balancer), or the networks of
     * those proxies (['10.0.0.0/8']). false (or 0) uses the socket's address. The leftmost entry,
     * which the client writes itself, is never believed unless every hop is a trusted proxy.
     * Default false. Env: TANDEM_HTTP_TRUST_PROXY=1 or =10.0.0.0/8,192.168.0.0/16.
     */
    trust_proxy: false,
    /**
     * A request body must have arrived within this many ms from its first byte (and before
     * request_timeout_ms), else 408 (code 1012) and the connection closed. Default 30000.
     */
    body_timeout_ms: 30000,
    /** A request's headers must have arrived within this many ms, else 408 and closed. Default 10000. */
    headers_timeout_ms: 10000,
    /** Serve the API pages /docs and /openapi.json. Default true; turn off where nobody should browse the API. */
    docs: env !== 'prod',
    /** Browser origins allowed to call the API (CORS), e.g. 'https://backoffice.example.com'; empty allows none. */
    cors_origins: [],
  },

  auth: {
    /** How long a staff session lasts after login, in seconds. Default 28800 (8 h). */
    session_ttl_seconds: 8 * 3600,
    /**
     * How long a session read from Redis is reused from this process's memory, in ms, so that a
     * logged-in request costs no Redis read for it. Logout and disabling reach every process at
     * once over Redis pub/sub; this only bounds how long a revocation that bypasses tandem (a key
     * deleted by hand) or a message lost on a broken connection goes unseen. 0 reads Redis on
     * every request. Default 2000.
     */
    session_cache_ms: 2000,
    /**
     * While Redis is unreachable, a session read from it within this many ms keeps working, so a
     * short Redis outage logs nobody out. New logins and logouts need Redis and answer 503 meanwhile;
     * a revocation made during the outage, or lost in it, takes effect when Redis is back.
     * 0 turns the fallback off. Default 60000.
     */
    session_outage_grace_ms: 60000,
    /** Failed logins for one username before it is paused for the window. Default 5. */
    login_max_failures_per_user: 5,
    /** Failed logins from one client address before it is paused for the window. Default 20. */
    login_max_failures_per_address: 20,
    /** The window over which failed logins are counted, in seconds. Default 900. */
    login_window_seconds: 900,
  },

  metrics: {
    /**
     * Serve GET /metrics on a port of its own (0 picks a free one), bound to metrics.host, instead
     * of on the HTTP port; Prometheus scrapes it there, and the public port has no /metrics.
     * Default null (on the HTTP port).
     */
    port: env === 'prod' ? 9464 : null,
    /** Address the metrics port binds, when it has one. Default 127.0.0.1. */
    host: env === 'prod' ? '0.0.0.0' : '127.0.0.1',
    /** Client networks (CIDR) allowed to read /metrics, e.g. ['10.0.0.0/8']; others get 403. Empty allows all. */
    allowed_networks: env === 'prod' ? [`${CHANGE_ME}: the network of Prometheus, e.g. 10.0.0.0/8`] : [],
  },

  thrift: {
    /** Serve the Thrift door. Off for an HTTP-only host (the web role in deploy/environments.ts). Default true. */
    enabled: true,
    /** Address the Thrift server binds. Default 127.0.0.1. */
    host: env === 'prod' ? '0.0.0.0' : '127.0.0.1',
    /** Thrift port; 0 picks a free one. Default 9090. */
    port: 9090,
    /**
     * Largest accepted message in bytes, and so the most one connection holds for a message still
     * arriving; a larger frame closes its connection. Default 16 MiB.
     */
    max_frame_bytes: 16 * 1024 * 1024,
    /**
     * The most all connections together hold for messages still arriving; a message that would pass
     * it closes its connection (counted as over_total) instead of waiting. Default 64 MiB.
     */
    max_buffered_bytes: 64 * 1024 * 1024,
    /** How long a message may take to arrive once its first byte is in, in ms; 0 turns it off. Default 10000. */
    read_timeout_ms: 10000,
    /**
     * A new connection that sends no byte for this long (ms) is closed, so that a crowd of silent
     * sockets cannot hold the connection slots; 0 turns it off. A caller's pool that opens
     * connections ahead of use must reconnect a closed one. Default 10000.
     */
    first_byte_timeout_ms: 10000,
    /**
     * A connection with no byte either way for this long (ms) is closed; 0 keeps idle connections.
     * Keep it above the idle time of the callers' connection pools. Default 300000.
     */
    idle_timeout_ms: 300000,
    /**
     * The deadline (ms) of one Thrift call as its outgoing calls see it: a sibling service's client
     * (thirdparty.*) never retries or waits past it. 0: none. Default 10000.
     */
    call_deadline_ms: 10000,
    /**
     * Open connections at most; one more is closed at once and counted (unless a silent one makes
     * room, see max_connections_per_address). Keep it under the process's
     * open-file limit (ulimit -n) less what MySQL, Redis and HTTP need. Default 512.
     */
    max_connections: 512,
    /**
     * Open connections from one client address at most. At this cap, or at max_connections, the
     * oldest connection that has sent no byte is closed to make room; with none, the new one is
     * closed at once. Default 128.
     */
    max_connections_per_address: 128,
    /**
     * Fields one struct of a request may carry, unknown ones included; more closes the connection.
     * A request's shape is checked before it is decoded, since decoding takes time in the count of
     * values, not of bytes. tandem's own requests carry tens of values. Default 1024.
     */
    max_struct_fields: 1024,
    /**
     * Values (fields and collection elements) one request may carry; more closes the connection.
     * Raise it only for a method that takes large lists. Default 10000.
     */
    max_message_values: 10000,
    /** Nesting of structs and collections one request may have (at most 64). Default 64. */
    max_depth: 64,
    /** Client networks allowed to connect, in CIDR form ('10.0.0.0/8'); empty allows all. */
    allowed_networks: env === 'prod' ? [`${CHANGE_ME}: the networks of the calling services`] : [],
    /**
     * TLS on the Thrift port: with key and cert set the port speaks TLS only, still detecting each
     * connection's transport and protocol inside.
     */
    tls: {
      /** PEM private key file of the port. Default null (no TLS). */
      key: null,
      /** PEM certificate (chain) file of the port. Default null (no TLS). */
      cert: null,
      /** PEM file of the CAs whose client certificates name callers (by their CN). Default null. */
      ca: null,
      /** Mutual TLS: refuse a client without a certificate signed by ca. Default false. */
      require_client_cert: false,
    },
    /**
     * Calls served at once; one more is shed with ServerException code 102 (OVERLOADED) at once.
     * ping and hello are never shed. 0: no limit. Default 64.
     */
    max_in_flight: 64,
    /**
     * Calls served at once for one caller (its name, as callers below knows it, else its address):
     * one caller past it is shed while the others are still served. 0: no limit. Default 32.
     */
    caller_max_in_flight: 32,
    /**
     * Which caller may call which methods, e.g. { 'order-service': ['create_cs_event', 'get_cs_event'],
     * 'risk-service': ['*'] }. A caller is a verified client certificate's CN, else the name it gave
     * in THeader or hello; ping and hello are always allowed. null (the default) lets any caller
     * call anything: in production set it, with TLS client certificates or allowed_networks.
     */
    callers: env === 'prod' ? { [`${CHANGE_ME}: a calling service's name`]: ['*'] } : null,
  },

  server: {
    /** Processes serving HTTP and Thrift (node:cluster when above 1). Default 1. */
    workers: env === 'prod' ? 2 : 1,
    /** How long in-flight requests and calls may run after SIGTERM, in ms. Default 10000. */
    shutdown_timeout_ms: 10000,
    /**
     * After SIGTERM, how long /health answers 503 while HTTP and Thrift still accept, in ms, before
     * the listeners close and in-flight work finishes: set it above your load balancer's health-check
     * interval times its unhealthy threshold, so it stops sending before connections are refused.
     * 0 closes at once (a single machine with no balancer). Default 5000.
     */
    drain_delay_ms: env === 'dev' ? 0 : 5000,
    /**
     * Event-loop lag in ms past which new HTTP requests and Thrift calls are shed (503 / ServerException
     * with code 102) until the loop catches up: the requests already read wait that long before any
     * code runs. 0 turns the guard off. Default 100.
     */
    max_event_loop_lag_ms: 100,
    /** The Retry-After of a shed answer, in seconds. Default 1. */
    shed_retry_after_seconds: 1,
    /** Run the timed jobs in this server; turn off on web-only nodes. Default true. */
    scheduler: true,
  },

  log: {
    /** Lowest level written: error, warn, info or debug. Default info. */
    level: env === 'dev' ? 'debug' : 'info',
    /** Append JSON lines to this file; empty writes to standard output. Default empty. */
    file: '',
    /** One access line per HTTP request and per Thrift call. Default true. */
    access: true,
    /** A query slower than this (ms) is logged at warn. Default 200. */
    slow_query_ms: 200,
  },

  trace: {
    /**
     * OpenTelemetry traces: the OTLP/HTTP (protobuf) endpoint spans are sent
     * to, the full URL ending in /v1/traces (a collector's
     * http://127.0.0.1:4318/v1/traces). Empty turns tracing off, and then it
     * costs nothing. Default empty (docs/tracing.md).
     */
    otlp_url: '',
    /** Share of new traces kept, 0 to 1; a caller's traceparent decides for its own trace. Default 1. */
    sample_ratio: 1,
    /** How long ended spans wait to be sent in one batch (ms). Default 2000. */
    export_delay_ms: 2000,
  },

  statsd: {
    /** statsd host (UDP). Default 127.0.0.1. */
    host: '127.0.0.1',
    /** statsd port (UDP). Default 8125. */
    port: 8125,
    /** Prefix of every metric name. Default 'tandem.'. */
    prefix: env === 'prod' ? 'tandem.' : `tandem.${env}.`,
    /** Send metrics; off sends nothing. Default true. */
    enabled: true,
  },

  mysql: {
    /** Primary host. Default 127.0.0.1. */
    host: '127.0.0.1',
    /** Primary port. Default 3306. */
    port: 3306,
    /** User. Default root; in prod the least-privilege user of scripts/create-mysql-user.sh. */
    user: env === 'prod' ? 'tandem' : 'root',
    /** Password: a secret, so prefer TANDEM_MYSQL_PASSWORD in production (it wins over this). Default empty. */
    password: env === 'prod' ? `${CHANGE_ME} (or set TANDEM_MYSQL_PASSWORD)` : '',
    /** Database name. Default tandem (tests make their own). */
    database: env === 'test' ? 'tandem_test' : 'tandem',
    /** Read replicas as 'host:port' (the port may be left out: 3306; IPv6 as '[fd00::2]:3306'); empty reads from the primary. */
    replicas: [],
    /** Most connections per pool (primary, and each replica). Default 10. */
    pool_max: 10,
    /** Fewest connections kept open per pool. Default 0. */
    pool_min: 0,
    /** Idle time in ms before a pooled connection is closed. Default 10000. */
    pool_idle_ms: 10000,
    /** Longest wait in ms for a pooled connection before the request fails. Default 5000. */
    pool_acquire_ms: 5000,
    /**
     * Longest wait in ms for one query, and for a new connection's handshake (at most 3000): a frozen
     * server (a stopped process, a black-holed host) costs a request this much, then 503 with code 201,
     * and the connection is dropped. The server ends a slow statement a little before (max_statement_time):
     * 503 with code 201 too, one `slow query` line, no outage. 0 waits forever. Default 5000.
     */
    query_timeout_ms: 5000,
    /** How long in ms a replica that failed is left out; its reads go to the others or the primary. Default 30000. */
    replica_out_ms: 30000,
    /**
     * At start the server compares the migrations applied to the database with the code's: 'refuse'
     * stops a start whose database is behind (run `make migrate`, as the deploy does, first), 'warn'
     * logs one warning and serves, 'off' does not look. /health reports the level either way.
     * Default 'warn'.
     */
    schema_check: env === 'prod' ? 'refuse' : 'warn',
  },

  redis: {
    /** Redis URL, with a password if any: redis://:PASSWORD@host:6379/0. Default redis://127.0.0.1:6379/0. */
    url: 'redis://127.0.0.1:6379/0',
    /** Prefix of every key written. Default 'tandem:'. */
    key_prefix: env === 'test' ? 'tandem-test:' : 'tandem:',
    /** Longest wait in ms for one command before it fails. Default 1000. */
    command_timeout_ms: 1000,
    /**
     * Redis Sentinels, as 'host:port' (IPv6 as '[fd00::11]:26379'; TANDEM_REDIS_SENTINELS: comma-separated). When set, every Redis user
     * (sessions, limiter, cache, scheduler, Bull) asks them for the current primary and follows a failover;
     * url's host and port are then ignored, its password and db still apply. Default [] (url alone).
     */
    sentinels: [],
    /** The primary group name the Sentinels watch ('sentinel monitor NAME ...'). Default 'mymaster'. */
    sentinel_name: 'mymaster',
    /** The Sentinels' own password (their requirepass), if any. Default ''. */
    sentinel_password: '',
    /**
     * Replicas that must acknowledge (WAIT) a session creation, a tick claim and an enqueue before it
     * counts: a write only the old primary took is lost in a failover. 1 with a Sentinel set; 0 (no wait)
     * for a single Redis. Default 0.
     */
    wait_replicas: 0,
    /** Longest wait (ms) for those acknowledgements; a write short of them counts as failed. Default 500. */
    wait_timeout_ms: 500,
  },

  queue: {
    /** Jobs one worker process runs at once, per queue. Default 4. */
    concurrency: 4,
    /** A worker holds a job this long (ms) between renewals; a killed worker's job is taken over after it. Default 30000. */
    lock_ms: 30000,
    /** How often (ms) workers look for jobs whose worker died. Default 30000. */
    stalled_check_ms: 30000,
    /** How long (s) finished jobs are kept, so an idempotency key still dedupes. Default 604800 (7 days). */
    keep_completed_seconds: 7 * 86400,
    /** How long (ms) a stopping worker waits for its running jobs. Default 30000. */
    drain_timeout_ms: 30000,
    /**
     * Port on which the worker process (make worker) serves GET /metrics for Prometheus: its
     * queue, job, MySQL, Redis and zeus series. Bound to metrics.host, limited to
     * metrics.allowed_networks. 0 serves none. Default 0. (TANDEM_QUEUE_METRICS_PORT)
     */
    metrics_port: env === 'prod' ? 9465 : 0,
  },

  scheduler: {
    /** How long (ms) a tick stays claimed so no other instance runs it again. Default 600000. */
    lock_ms: 10 * 60 * 1000,
    /** Pause (ms) before a tick claim that Redis refused, or no replica acknowledged, is tried again. Default 500. */
    claim_retry_ms: 500,
    /** Tries of one tick claim, the first included, before the tick is skipped (about 10 s in all). Default 20. */
    claim_attempts: 20,
  },

  /**
   * The timed jobs, each switched per environment: `enabled` false skips its ticks (logged and counted as
   * skipped_disabled) and makes `npm run job -- NAME` refuse it without --force; `cron` is when it ticks (a
   * node-cron expression, six fields put seconds first). server.scheduler false still turns them all off.
   * Env: TANDEM_JOBS_RISK_SCAN_ENABLED=false, TANDEM_JOBS_CS_DAILY_REPORT_CRON='0 0 7 * * *'.
   */
  jobs: {
    cs: {
      /** Raise the priority of stale events (cs.stale_after_minutes). */
      escalate_stale: {
        /** Run it in this environment. Default true. */
        enabled: true,
        /** When it ticks (UTC). Default every minute at :00, '0 * * * * *'. */
        cron: '0 * * * * *',
      },
      /** The daily report of the day before. */
      daily_report: {
        /** Run it in this environment. Default true. */
        enabled: true,
        /** When it ticks, in Asia/Shanghai time. Default 06:30:00, '0 30 6 * * *'. */
        cron: '0 30 6 * * *',
      },
    },
    risk: {
      /** Read new orders from zeus and flag the suspicious ones. */
      scan: {
        /**
         * Run it in this environment. It needs zeus, a third party: off in dev (`make zeus-stub` and
         * TANDEM_JOBS_RISK_SCAN_ENABLED=true to try it). Default true.
         */
        enabled: env !== 'dev',
        /** When it ticks (UTC). Default every minute at :30, '30 * * * * *'. */
        cron: '30 * * * * *',
      },
    },
  },

  cs: {
    /** An event not done and untouched this long (minutes) gets its priority raised one step. Default 1440. */
    stale_after_minutes: 24 * 60,
  },

  thirdparty: {
    /**
     * zeus, the order platform (Thrift, framed, binary). Every sibling
     * service has a section of these keys under its name (docs/thirdparty.md);
     * `make zeus-stub` serves a stub zeus on 127.0.0.1:9190.
     */
    zeus: {
      /** The instances to call, as host:port; ignored when dns is set. Default ['127.0.0.1:9190']. */
      instances: ['127.0.0.1:9190'],
      /** A DNS name and port (name:port) whose every address is an instance; '' uses instances. Default ''. */
      dns: '',
      /** How often (ms) the dns name is resolved again. Default 30000. */
      dns_refresh_ms: 30000,
      /** Deadline of one attempt in ms, connecting included. Default 2000. */
      timeout_ms: 2000,
      /** Most open connections to each instance. Default 8. */
      pool_size: 8,
      /** An idle pooled connection is closed after this many ms. Default 30000. */
      idle_ms: 30000,
      /** Most extra tries of an idempotent call after a timeout or a dropped connection, on another instance. Default 2. */
      retries: 2,
      /** Wait in ms before retrying on an instance already tried (no other available); doubles each time. Default 100. */
      retry_backoff_ms: 100,
      /** Retries allowed as a share (%) of the calls over the last 10 s. Default 20. */
      retry_budget_percent: 20,
      /** Retries allowed per second beyond that share, so a quiet client can still retry. Default 3. */
      retry_budget_min_per_second: 3,
      /** Timeouts or refusals in a row after which an instance gets no calls for a while. Default 5. */
      eject_after_failures: 5,
      /** First ejection of an instance in ms; doubles for each one in a row. Default 1000. */
      eject_base_ms: 1000,
      /** Longest ejection of an instance in ms. Default 30000. */
      eject_max_ms: 30000,
      /** Failure share (%) of an instance over the last 10 s at which its circuit opens. Default 50. */
      breaker_error_percent: 50,
      /** Calls to an instance in the window before its breaker may open. Default 5. */
      breaker_volume: 5,
      /** How long (ms) a circuit stays open before one probe call. Default 10000. */
      breaker_reset_ms: 10000,
      /**
       * framed (framed transport, binary protocol) or header (Apache Thrift's THeader, whose headers
       * carry the request id, our name and the W3C traceparent, so the service continues the trace).
       * Only header for a service that speaks THeader. Default framed.
       */
      transport: 'framed',
    },
  },

  risk: {
    /** Orders read from zeus per call of a scan. Default 200. */
    scan_page_size: 200,
    /** Most pages one scan reads; the next scan goes on from the cursor. Default 50. */
    scan_max_pages: 50,
    /** Tries of reporting a fraud verdict to zeus before it is parked in the failed set. Default 8. */
    report_attempts: 8,
    /** Wait in ms before the first retry of a report; doubles each time. Default 5000. */
    report_backoff_ms: 5000,
  },

  mongo: {
    /** MongoDB URL for suspicious orders; empty stores them in MySQL. Default empty. */
    url: '',
  },
};

export default config;
