import { performance } from 'node:perf_hooks';
import { currentContext, currentRequestId } from '../../src/core/ctx';
import { traceClientCall, type TraceCarrier } from '../../src/core/trace';
import type { PoolStats } from './connection-pool';
import { InstanceSet, type InstanceSource, type Resolver } from './instance-set';
import { RetryBudget, type RetryBudgetStats } from './retry-budget';
import type { BreakerOptions, EjectionOptions, ServiceInstance } from './service-instance';
import { ServiceReporter, type MetricsSink } from './service-reporter';
import { circuitOpenError, isTransient, outcomeOf, timeoutError, unavailableError } from './third-party-errors';
import type { CallHeaders, GeneratedClientClass } from './thrift-connection';

export interface ThriftServiceOptions {
  /** The service's name in metrics, logs and error messages (`zeus`). */
  service: string;
  /** Its instances: a fixed list of host:port, or a DNS name resolved again now and then. */
  instances: InstanceSource;
  /** Deadline of one attempt, connecting and waiting for a pooled connection included. */
  timeoutMs: number;
  /** Most open connections per instance. */
  poolSize: number;
  idleMs: number;
  /** Most extra attempts of one idempotent call (each also needs the retry budget). */
  retries: number;
  /** Wait before retrying on an instance already tried (when no other is available); doubles each time. */
  retryBackoffMs: number;
  retryBudget: { percent: number; minPerSecond: number };
  /** One breaker per instance, with these settings. */
  breaker: BreakerOptions;
  ejection: EjectionOptions;
  /** A reply frame longer than this drops the connection; default 16 MB. */
  maxFrameBytes?: number;
  /**
   * `framed` (the default): framed transport, binary protocol. `header`:
   * THeader, whose headers carry the request id, `callerName` and the W3C
   * trace context, so that the service continues the caller's trace.
   */
  transport?: 'framed' | 'header';
  /** Our name in a THeader call's `client-name` header. */
  callerName?: string;
  metrics?: MetricsSink;
  /** Said once when the service stops answering, e.g. how to start a stub of it in development. */
  unreachableHint?: string;
  /** Resolves a DNS source's name; the system's resolver by default. */
  resolver?: Resolver;
}

export interface CallOptions {
  /**
   * Whether the call may run twice without harm. Only idempotent calls are
   * retried after a timeout or unavailability: a remote error is an answer,
   * and a non-idempotent call that timed out may have happened. A call
   * refused by an open breaker was not made, and may go to another instance.
   */
  idempotent: boolean;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

/** One instance as `instances()` shows it. */
export interface InstanceView {
  address: string;
  state: ReturnType<ServiceInstance<unknown>['state']>;
  inFlight: number;
  ewmaMs: number;
}

/**
 * A client for one Thrift service over its instances, generic over the
 * generated Client class, for every third-party client to reuse. Each call:
 *
 * - goes to the less loaded of two available instances drawn at random
 *   (InstanceSet), on a pooled framed/binary connection, through that
 *   instance's breaker, and settles within `timeoutMs` per attempt and
 *   within the caller's deadline (`ctx.deadlineAt`) with a result or a
 *   ThirdPartyError: 701 timeout, 702 unavailable, 703 remote error, 704
 *   circuit open (every instance's breaker open);
 * - when idempotent, is retried after 701/702 on another instance, at most
 *   `retries` times, while the service's retry budget allows and the
 *   caller's deadline leaves time;
 * - ejects an instance after `ejection.afterFailures` timeouts or refusals
 *   in a row, for an exponentially growing time, then probes it with one call.
 */
export class ThriftServiceClient<C> {
  private readonly options: ThriftServiceOptions;
  private readonly set: InstanceSet<C>;
  private readonly budget: RetryBudget;
  private readonly reporter: ServiceReporter;
  private closed = false;

  constructor(clientClass: GeneratedClientClass<C>, options: ThriftServiceOptions) {
    this.options = options;
    this.reporter = new ServiceReporter(options.service, options.metrics, options.unreachableHint);
    this.budget = new RetryBudget(options.retryBudget);
    this.set = new InstanceSet(
      options.instances,
      {
        service: options.service,
        clientClass,
        timeoutMs: options.timeoutMs,
        maxFrameBytes: options.maxFrameBytes ?? 16 * 1024 * 1024,
        transport: options.transport ?? 'framed',
        poolSize: options.poolSize,
        idleMs: options.idleMs,
        breaker: options.breaker,
        ejection: options.ejection,
      },
      (instance, event) => this.reporter.instanceEvent(instance, event, options.breaker.resetMs),
      options.resolver,
    );
  }

  get service(): string {
    return this.options.service;
  }

  /** `closed` when any instance takes calls, `open` when every breaker is open, else `half_open`. */
  get breakerState(): BreakerState {
    const states = this.set.all.map((i) => i.breakerState);
    if (states.length === 0 || states.includes('closed')) return 'closed';
    return states.includes('half_open') ? 'half_open' : 'open';
  }

  /** Connections over every instance, and connections opened since start. */
  poolStats(): PoolStats & { opened: number } {
    const total = { open: 0, idle: 0, busy: 0, waiting: 0, opened: 0 };
    for (const instance of this.set.all) {
      const stats = instance.poolStats();
      total.open += stats.open;
      total.idle += stats.idle;
      total.busy += stats.busy;
      total.waiting += stats.waiting;
      total.opened += stats.opened;
    }
    return total;
  }

  /** Each instance's standing now: for /health, tests and operators. */
  instances(): InstanceView[] {
    const now = Date.now();
    return this.set.all.map((i) => ({
      address: i.address,
      state: i.state(now),
      inFlight: i.inFlight,
      ewmaMs: Math.round(i.ewmaMs * 10) / 10,
    }));
  }

  /** Calls and retries since start, and retries the budget refused. */
  retryStats(): RetryBudgetStats {
    return this.budget.stats();
  }

  /** Resolves once the instances are known (a DNS source's first resolution). */
  ready(): Promise<void> {
    return this.set.ready();
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
    // One client span for the call, its retries on other instances included (core/trace); the span names the
    // first instance in rotation as the server.
    return traceClientCall(this.options.service, method, this.set.all[0]?.address ?? '', (trace) =>
      this.callWithRetries(
        method,
        invoke,
        options,
        this.options.transport === 'header' ? this.headers(trace) : undefined,
      ),
    );
  }

  /** A THeader call's headers: the request id, our name, and the client span's trace context when traced. */
  private headers(trace: TraceCarrier): CallHeaders {
    const headers: Record<string, string> = {};
    const requestId = currentRequestId();
    if (requestId !== undefined) headers['request-id'] = requestId;
    if (this.options.callerName) headers['client-name'] = this.options.callerName;
    if (trace.traceparent) headers.traceparent = trace.traceparent;
    if (trace.tracestate) headers.tracestate = trace.tracestate;
    return headers;
  }

  private async callWithRetries<T>(
    method: string,
    invoke: (client: C) => Promise<T>,
    options: CallOptions,
    headers: CallHeaders | undefined,
  ): Promise<T> {
    const started = performance.now();
    const { service, timeoutMs, retries } = this.options;
    const callerDeadline = currentContext()?.deadlineAt;
    const tried = new Set<ServiceInstance<C>>();
    const addresses: string[] = [];
    this.budget.recordCall();
    for (let attempts = 1; ; attempts += 1) {
      const instance = this.closed ? undefined : this.set.pick(tried);
      const now = Date.now();
      const ownDeadline = now + timeoutMs;
      const deadlineAt = callerDeadline === undefined ? ownDeadline : Math.min(ownDeadline, callerDeadline);
      let err: Error;
      if (instance === undefined) {
        err = unavailableError(service, new Error(this.closed ? 'The client was closed.' : 'No instance is known.'));
      } else if (deadlineAt <= now) {
        err = timeoutError(service, timeoutMs, new Error("The caller's deadline has passed."));
      } else {
        const seen = tried.has(instance);
        tried.add(instance);
        if (!seen) addresses.push(instance.address);
        try {
          const result = await instance.call(invoke, deadlineAt, deadlineAt === ownDeadline, headers);
          this.reporter.ok(method, started, instance.address);
          this.gaugePools();
          return result;
        } catch (raw) {
          err = this.asCallError(raw);
        }
      }
      // A call an open breaker refused was not made: another instance may take it, budget aside.
      if (outcomeOf(err) === 'circuit_open' && attempts <= this.set.all.length && this.otherAllows(tried)) continue;
      const retryable = options.idempotent && isTransient(err);
      const room = callerDeadline === undefined || callerDeadline - Date.now() > 1;
      if (!retryable || attempts > retries || this.closed || instance === undefined || !room) {
        this.reporter.failed(method, err, attempts, started, addresses);
        this.gaugePools();
        throw err;
      }
      if (!this.budget.tryRetry()) {
        this.reporter.budgetSpent(method);
        this.reporter.failed(method, err, attempts, started, addresses);
        throw err;
      }
      this.reporter.retry(method, attempts, err, instance.address);
      await this.backoffIfNoOther(tried, attempts, callerDeadline);
    }
  }

  /** Ends every socket (a call in progress first finishes, within its deadline) and stops the breakers. */
  async close(): Promise<void> {
    this.closed = true;
    await this.set.close();
  }

  /** A retry on an instance already tried waits first (it just failed); one on another goes at once. */
  private async backoffIfNoOther(
    tried: ReadonlySet<ServiceInstance<C>>,
    attempts: number,
    callerDeadline: number | undefined,
  ): Promise<void> {
    const now = Date.now();
    if (this.set.all.some((i) => !tried.has(i) && i.available(now))) return;
    let wait = this.options.retryBackoffMs * 2 ** (attempts - 1);
    if (callerDeadline !== undefined) wait = Math.min(wait, Math.max(0, callerDeadline - now - 1));
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  private otherAllows(tried: ReadonlySet<ServiceInstance<C>>): boolean {
    return this.set.all.some((i) => !tried.has(i) && i.breakerAllows);
  }

  private asCallError(raw: unknown): Error {
    const code = (raw as { code?: unknown } | null)?.code;
    if (code === 'EOPENBREAKER') return circuitOpenError(this.options.service);
    if (code === 'ESHUTDOWN') return unavailableError(this.options.service, new Error('The client was closed.'));
    return raw instanceof Error ? raw : new Error(String(raw));
  }

  private gaugePools(): void {
    const stats = this.poolStats();
    this.reporter.pools(stats.open, stats.busy);
  }
}
