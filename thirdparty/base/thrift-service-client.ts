import { performance } from 'node:perf_hooks';
import CircuitBreaker from 'opossum';
import { logger } from '../../src/core/log';
import { metricSegment, statsd } from '../../src/core/monitor';
import { traceClientCall } from '../../src/core/trace';
import { ThirdPartyError } from '../../src/exception';
import { ConnectionPool, type PoolStats } from './connection-pool';
import {
  causeText,
  circuitOpenError,
  isTransient,
  outcomeOf,
  unavailableError,
  type CallOutcome,
} from './third-party-errors';
import type { GeneratedClientClass } from './thrift-connection';

/** Where metrics go; the process's statsd unless a test gives another. */
export interface MetricsSink {
  timing(name: string, ms: number): void;
  increment(name: string, value?: number): void;
  gauge(name: string, value: number): void;
}

export interface BreakerOptions {
  /** Failure share (%) over the window above which the circuit opens. */
  errorPercent: number;
  /** Calls in the window before the circuit may open. */
  volume: number;
  /** How long the circuit stays open before one probe call is let through. */
  resetMs: number;
  /** The rolling window the failure share is measured over; default 10 s. */
  windowMs?: number;
}

export interface ThriftServiceOptions {
  /** The service's name in metrics, logs and error messages (`zeus`). */
  service: string;
  host: string;
  port: number;
  /** Deadline of one attempt, connecting and waiting for a pooled connection included. */
  timeoutMs: number;
  poolSize: number;
  idleMs: number;
  /** Extra attempts of an idempotent call after a timeout or unavailability. */
  retries: number;
  /** Wait before the first retry; doubles for each further one. */
  retryBackoffMs: number;
  breaker: BreakerOptions;
  /** A reply frame longer than this drops the connection; default 16 MB. */
  maxFrameBytes?: number;
  metrics?: MetricsSink;
  /** Said once when the service stops answering, e.g. how to start a stub of it in development. */
  unreachableHint?: string;
}

export interface CallOptions {
  /**
   * Whether the call may run twice without harm. Only idempotent calls are
   * retried, and only after a timeout or unavailability: a remote error is
   * an answer, and a non-idempotent call that timed out may have happened.
   */
  idempotent: boolean;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

/** An attempt handed to the breaker; its result type is restored by `call`. */
type Attempt = () => Promise<unknown>;

/**
 * A client for one Thrift service, generic over the generated Client class,
 * for every third-party client to reuse. Each call:
 *
 * - runs on a pooled framed/binary connection and settles within
 *   `timeoutMs` per attempt, connecting included, with a result or a
 *   ThirdPartyError: 701 timeout, 702 unavailable (refused, reset, closed),
 *   703 remote error (a declared exception or TApplicationException; its
 *   message goes to the log only), 704 circuit open;
 * - when idempotent, is retried after 701/702 up to `retries` times with
 *   exponential backoff, so it settles within `maxCallMs(true)`;
 * - goes through a circuit breaker (opossum) that counts timeouts and
 *   unavailability, not remote errors (zeus answering is zeus being up);
 *   while open, calls fail fast with 704; after `resetMs` one probe goes
 *   through and a good one closes the circuit.
 *
 * statsd: timing `thirdparty.<service>.<method>.<outcome>` per call
 * (outcome ok, timeout, unavailable, remote_error, circuit_open, error),
 * counters `thirdparty.<service>.errors.<outcome>`,
 * `thirdparty.<service>.<method>.retry`, `thirdparty.<service>.breaker.<open|half_open|close|rejected>`,
 * and gauges `thirdparty.<service>.pool.<open|busy>`.
 */
export class ThriftServiceClient<C> {
  private readonly options: ThriftServiceOptions;
  private readonly pool: ConnectionPool<C>;
  private readonly breaker: CircuitBreaker<[Attempt], unknown>;
  private readonly metrics: MetricsSink;
  /** `thirdparty.<service>`, the root of every metric of this client. */
  private readonly serviceMetric: string;
  private readonly methodMetrics = new Map<string, string>();
  private closed = false;
  /**
   * Set while the service does not answer (every call since `since` timed
   * out, was refused or was cut short by the open breaker): the first such
   * failure is logged, the rest only counted, until a call gets an answer.
   */
  private unreachable: { since: number; calls: number; breakerOpenSaid: boolean } | undefined;

  constructor(clientClass: GeneratedClientClass<C>, options: ThriftServiceOptions) {
    this.options = options;
    this.serviceMetric = `thirdparty.${metricSegment(options.service)}`;
    this.metrics = options.metrics ?? statsd;
    this.pool = new ConnectionPool({
      service: options.service,
      host: options.host,
      port: options.port,
      clientClass,
      timeoutMs: options.timeoutMs,
      maxFrameBytes: options.maxFrameBytes ?? 16 * 1024 * 1024,
      size: options.poolSize,
      idleMs: options.idleMs,
    });
    const windowMs = options.breaker.windowMs ?? 10_000;
    this.breaker = new CircuitBreaker((attempt: Attempt) => attempt(), {
      name: options.service,
      // Deadlines are ours (per attempt, and they close the socket); opossum's would leave the call running.
      timeout: false,
      errorThresholdPercentage: options.breaker.errorPercent,
      volumeThreshold: options.breaker.volume,
      resetTimeout: options.breaker.resetMs,
      rollingCountTimeout: windowMs,
      rollingCountBuckets: 10,
      // true = not a failure: only timeouts and unavailability say the service is down.
      errorFilter: (err: unknown) => !isTransient(err),
    });
    this.watchBreaker();
  }

  get service(): string {
    return this.options.service;
  }

  get breakerState(): BreakerState {
    if (this.breaker.opened) return 'open';
    return this.breaker.halfOpen ? 'half_open' : 'closed';
  }

  poolStats(): PoolStats & { opened: number } {
    return { ...this.pool.stats(), opened: this.pool.opened };
  }

  /** The longest a call can take before it settles: every attempt and the backoffs between them. */
  maxCallMs(idempotent: boolean): number {
    const { timeoutMs, retries, retryBackoffMs } = this.options;
    if (!idempotent) return timeoutMs;
    return (retries + 1) * timeoutMs + retryBackoffMs * (2 ** retries - 1);
  }

  /**
   * Calls `method` through `invoke` (which calls the generated client, e.g.
   * `(c) => c.get_order(meta, id)`). Resolves with its result or rejects
   * with a ThirdPartyError (a DevError when the arguments could not be sent).
   */
  call<T>(method: string, invoke: (client: C) => Promise<T>, options: CallOptions): Promise<T> {
    // One client span for the call, its retries included (core/trace).
    const { service, host, port } = this.options;
    return traceClientCall(service, method, { host, port }, () => this.callWithRetries(method, invoke, options));
  }

  private async callWithRetries<T>(
    method: string,
    invoke: (client: C) => Promise<T>,
    options: CallOptions,
  ): Promise<T> {
    const started = performance.now();
    const attempt: Attempt = () => this.pool.call(invoke, Date.now() + this.options.timeoutMs);
    for (let attempts = 1; ; attempts += 1) {
      try {
        if (this.closed) throw unavailableError(this.options.service, new Error('The client was closed.'));
        const result = (await this.breaker.fire(attempt)) as T;
        this.record(method, 'ok', started);
        this.answered();
        return result;
      } catch (raw) {
        const err = this.asCallError(raw);
        if (!options.idempotent || attempts > this.options.retries || !isTransient(err) || this.closed) {
          this.finishFailed(method, err, attempts, started);
          throw err;
        }
        const backoff = this.options.retryBackoffMs * 2 ** (attempts - 1);
        this.metrics.increment(`${this.metricBase(method)}.retry`);
        // While the service is known to be down, its retries are counted, not logged.
        if (this.unreachable === undefined)
          logger.debug(`Retrying ${this.options.service}.${method} in ${backoff} ms: ${err.message}`, {
            service: this.options.service,
            method,
            attempt: attempts,
          });
        await new Promise((resolve) => setTimeout(resolve, backoff));
      }
    }
  }

  /** Ends every socket (a call in progress first finishes, within its deadline) and stops the breaker. */
  async close(): Promise<void> {
    this.closed = true;
    await this.pool.close();
    this.breaker.shutdown();
  }

  private asCallError(raw: unknown): Error {
    const code = (raw as { code?: unknown } | null)?.code;
    if (code === 'EOPENBREAKER') return circuitOpenError(this.options.service);
    if (code === 'ESHUTDOWN') return unavailableError(this.options.service, new Error('The client was closed.'));
    return raw instanceof Error ? raw : new Error(String(raw));
  }

  /** A call got an answer (a result or a remote error): if the service was down, say once that it is back. */
  private answered(): void {
    const down = this.unreachable;
    if (down === undefined) return;
    this.unreachable = undefined;
    const { service, host, port } = this.options;
    logger.info(`${service} answers again at ${host}:${port}.`, {
      service,
      down_for_ms: Date.now() - down.since,
      failed_calls: down.calls,
    });
  }

  private finishFailed(method: string, err: Error, attempts: number, started: number): void {
    const outcome = outcomeOf(err);
    this.record(method, outcome, started);
    this.metrics.increment(`${this.serviceMetric}.errors.${outcome}`);
    if (outcome === 'remote_error') this.answered();
    if (outcome === 'timeout' || outcome === 'unavailable' || outcome === 'circuit_open') {
      if (this.unreachable !== undefined) {
        // Known to be down and said so: a caller that keeps trying (a timed job) writes no line per call.
        this.unreachable.calls += 1;
        return;
      }
      // Fast failures are counted, not logged one by one: the breaker logs when it opens.
      if (outcome === 'circuit_open') return;
      this.unreachable = { since: Date.now(), calls: 1, breakerOpenSaid: false };
    }
    const fields = {
      service: this.options.service,
      method,
      attempts,
      code: err instanceof ThirdPartyError ? err.code : undefined,
      cause: causeText(err.cause),
    };
    if (outcome === 'error') {
      const cause = err.cause instanceof Error ? err.cause : err;
      logger.error(`The call ${this.options.service}.${method} could not be made: this is a bug on our side.`, {
        ...fields,
        stack: cause.stack,
      });
    } else if (this.unreachable !== undefined) {
      const { service, host, port, unreachableHint } = this.options;
      logger.warn(
        `${service} does not answer at ${host}:${port} (${service}.${method} failed after ${attempts} attempt(s): ${err.message})` +
          `${unreachableHint ? ` ${unreachableHint}` : ''} Further failures are counted, not logged, until it answers again.`,
        fields,
      );
    } else {
      logger.warn(
        `The call ${this.options.service}.${method} failed after ${attempts} attempt(s): ${err.message}`,
        fields,
      );
    }
  }

  private record(method: string, outcome: CallOutcome, started: number): void {
    this.metrics.timing(`${this.metricBase(method)}.${outcome}`, performance.now() - started);
    const stats = this.pool.stats();
    this.metrics.gauge(`${this.serviceMetric}.pool.open`, stats.open);
    this.metrics.gauge(`${this.serviceMetric}.pool.busy`, stats.busy);
  }

  /** `thirdparty.<service>.<method>`, built once per method rather than by four regexes per call. */
  private metricBase(method: string): string {
    let base = this.methodMetrics.get(method);
    if (base === undefined) {
      base = `${this.serviceMetric}.${metricSegment(method)}`;
      this.methodMetrics.set(method, base);
    }
    return base;
  }

  private watchBreaker(): void {
    const { service } = this.options;
    const base = `${this.serviceMetric}.breaker`;
    const resetMs = this.options.breaker.resetMs;
    // During an outage already logged, the breaker's first opening is said once; its later cycles
    // (a probe that fails reopens it) and the closing (answered() says the service is back) are debug lines.
    this.breaker.on('open', () => {
      this.metrics.increment(`${base}.open`);
      const down = this.unreachable;
      const level = down?.breakerOpenSaid ? 'debug' : 'warn';
      if (down) down.breakerOpenSaid = true;
      logger.log(
        level,
        `${service} is failing: calls to it now fail fast, and in ${resetMs} ms one call will probe whether it is back.`,
        { service },
      );
    });
    this.breaker.on('halfOpen', () => {
      this.metrics.increment(`${base}.half_open`);
      logger.log(this.unreachable ? 'debug' : 'info', `Probing whether ${service} is back with the next call.`, {
        service,
      });
    });
    this.breaker.on('close', () => {
      this.metrics.increment(`${base}.close`);
      logger.log(this.unreachable ? 'debug' : 'info', `${service} answered the probe; calls to it resume.`, {
        service,
      });
    });
    this.breaker.on('reject', () => this.metrics.increment(`${base}.rejected`));
  }
}
