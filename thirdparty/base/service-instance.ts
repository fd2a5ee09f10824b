import { performance } from 'node:perf_hooks';
import CircuitBreaker from 'opossum';
import { ConnectionPool, type PoolStats } from './connection-pool';
import { isTransient } from './third-party-errors';
import type { CallHeaders, GeneratedClientClass } from './thrift-connection';

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

export interface EjectionOptions {
  /** Timeouts or refusals in a row after which the instance gets no calls for a while. */
  afterFailures: number;
  /** The first ejection's length; each ejection in a row doubles it. */
  baseMs: number;
  /** The longest an ejection lasts. */
  maxMs: number;
}

export interface InstanceOptions<C> {
  service: string;
  host: string;
  port: number;
  clientClass: GeneratedClientClass<C>;
  timeoutMs: number;
  maxFrameBytes: number;
  transport: 'framed' | 'header';
  poolSize: number;
  idleMs: number;
  breaker: BreakerOptions;
  ejection: EjectionOptions;
}

/** What happened to an instance's standing, for the client's logs and metrics. */
export type InstanceEvent =
  /** Joined the set (at start, or found by a DNS refresh); its breaker is closed. */
  | { kind: 'added' }
  | { kind: 'ejected'; forMs: number; failures: number }
  | { kind: 'returned'; ejectedMs: number }
  | { kind: 'breaker'; state: 'open' | 'half_open' | 'close' | 'rejected' };

export type InstanceState = 'up' | 'ejected' | 'probing' | 'open' | 'half_open';

/** An attempt handed to the breaker; its result type is restored by the caller. */
type Attempt = () => Promise<unknown>;

/** Weight of the newest latency in the moving average. */
const EWMA_WEIGHT = 0.3;

/**
 * One instance (host:port) of a sibling service: its connection pool, the
 * calls in flight on it, a moving average of its latency, its own circuit
 * breaker, and its ejection. After `afterFailures` timeouts or refusals in
 * a row it is ejected for `baseMs`, doubled for each ejection in a row up to
 * `maxMs`; when that time is up, one call probes it (the balancer sends it
 * no other call meanwhile), and an answer returns it to the rotation.
 */
export class ServiceInstance<C> {
  readonly address: string;
  private readonly options: InstanceOptions<C>;
  private readonly pool: ConnectionPool<C>;
  private readonly breaker: CircuitBreaker<[Attempt], unknown>;
  private readonly listeners: ((event: InstanceEvent) => void)[] = [];
  inFlight = 0;
  /** Start times of the calls in flight, oldest first (a Map keeps insertion order). */
  private readonly starts = new Map<symbol, number>();
  /** Moving average of answered calls' latency (ms); 0 until the first answer. */
  ewmaMs = 0;
  private failuresInRow = 0;
  private ejectionsInRow = 0;
  private ejectedAt = 0;
  private ejectedUntil = 0;
  /** Removed from the service's list (DNS no longer names it): drained, then closed. */
  retired = false;

  constructor(options: InstanceOptions<C>) {
    this.options = options;
    this.address = `${options.host}:${options.port}`;
    this.pool = new ConnectionPool({
      service: options.service,
      host: options.host,
      port: options.port,
      clientClass: options.clientClass,
      timeoutMs: options.timeoutMs,
      maxFrameBytes: options.maxFrameBytes,
      transport: options.transport,
      size: options.poolSize,
      idleMs: options.idleMs,
    });
    const { breaker } = options;
    this.breaker = new CircuitBreaker((attempt: Attempt) => attempt(), {
      name: `${options.service}@${this.address}`,
      // Deadlines are ours (per attempt, and they close the socket); opossum's would leave the call running.
      timeout: false,
      errorThresholdPercentage: breaker.errorPercent,
      volumeThreshold: breaker.volume,
      resetTimeout: breaker.resetMs,
      rollingCountTimeout: breaker.windowMs ?? 10_000,
      rollingCountBuckets: 10,
      // true = not a failure: only timeouts and unavailability say the instance is down.
      errorFilter: (err: unknown) => !isTransient(err),
    });
    this.breaker.on('open', () => this.emit({ kind: 'breaker', state: 'open' }));
    this.breaker.on('halfOpen', () => this.emit({ kind: 'breaker', state: 'half_open' }));
    this.breaker.on('close', () => this.emit({ kind: 'breaker', state: 'close' }));
    this.breaker.on('reject', () => this.emit({ kind: 'breaker', state: 'rejected' }));
  }

  onEvent(listener: (event: InstanceEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Where the instance stands at `now` (epoch ms). */
  state(now: number): InstanceState {
    if (this.breaker.opened) return 'open';
    if (this.breaker.halfOpen) return 'half_open';
    if (this.ejectedUntil > now) return 'ejected';
    return this.ejectedUntil > 0 ? 'probing' : 'up';
  }

  /**
   * Whether the balancer may send it a call now: up, or the one probe of an
   * instance whose ejection (or open breaker) is over.
   */
  available(now: number): boolean {
    if (this.retired) return false;
    const state = this.state(now);
    if (state === 'up') return true;
    return (state === 'probing' || state === 'half_open') && this.inFlight === 0;
  }

  /** Whether the breaker lets calls through (closed or half-open); ejection aside. */
  get breakerAllows(): boolean {
    return !this.breaker.opened;
  }

  /**
   * The balancer's cost of one more call here: calls in flight (plus this
   * one) times the expected latency, which is the moving average or, when
   * larger, the age of the oldest call in flight: an instance that stops
   * answering looks slow at once, not after its calls time out.
   */
  load(): number {
    let latency = Math.max(this.ewmaMs, 1);
    for (const startedAt of this.starts.values()) {
      latency = Math.max(latency, performance.now() - startedAt);
      break;
    }
    return (this.inFlight + 1) * latency;
  }

  get breakerState(): 'closed' | 'open' | 'half_open' {
    if (this.breaker.opened) return 'open';
    return this.breaker.halfOpen ? 'half_open' : 'closed';
  }

  poolStats(): PoolStats & { opened: number } {
    return { ...this.pool.stats(), opened: this.pool.opened };
  }

  /**
   * One attempt on this instance through its breaker, settled by `deadlineAt`.
   * `fullTimeout` says the deadline is the instance's own timeout, not a
   * caller's shorter one: only then does a timeout count against the instance.
   */
  async call<T>(
    invoke: (client: C) => Promise<T>,
    deadlineAt: number,
    fullTimeout: boolean,
    headers?: CallHeaders,
  ): Promise<T> {
    const started = performance.now();
    const key = Symbol('call');
    this.starts.set(key, started);
    this.inFlight += 1;
    try {
      const result = (await this.breaker.fire(() => this.pool.call(invoke, deadlineAt, headers))) as T;
      this.answered(performance.now() - started);
      return result;
    } catch (err) {
      const code = (err as { code?: unknown } | null)?.code;
      if (isTransient(err)) {
        if (fullTimeout || err.errorName !== 'THIRD_PARTY_TIMEOUT') this.failed(performance.now() - started);
      } else if (code !== 'EOPENBREAKER' && code !== 'ESHUTDOWN') {
        // A remote error is an answer: the instance is up.
        this.answered(performance.now() - started);
      }
      throw err;
    } finally {
      this.starts.delete(key);
      this.inFlight -= 1;
    }
  }

  /** Ends its sockets (a call in progress first finishes, within its deadline) and stops its breaker. */
  async close(): Promise<void> {
    await this.pool.close();
    this.breaker.shutdown();
  }

  private answered(ms: number): void {
    this.ewmaMs = this.ewmaMs === 0 ? ms : this.ewmaMs * (1 - EWMA_WEIGHT) + ms * EWMA_WEIGHT;
    this.failuresInRow = 0;
    if (this.ejectedUntil > 0) {
      // The probe answered: the average starts again from it. Kept at the timeouts that ejected the instance, it
      // would lose every choice to a healthy one while the load is light, and never be chosen to bring it down.
      this.ewmaMs = ms;
      const ejectedMs = Date.now() - this.ejectedAt;
      this.ejectedUntil = 0;
      this.ejectionsInRow = 0;
      this.emit({ kind: 'returned', ejectedMs });
    }
  }

  private failed(ms: number): void {
    // A failure is as slow as it took: the average steers calls away from an instance that times out.
    this.ewmaMs = Math.max(this.ewmaMs, ms);
    this.failuresInRow += 1;
    const { afterFailures, baseMs, maxMs } = this.options.ejection;
    const probeFailed = this.ejectedUntil > 0 && this.ejectedUntil <= Date.now();
    if (!probeFailed && this.failuresInRow < afterFailures) return;
    if (this.ejectedUntil > Date.now()) return;
    const forMs = Math.min(maxMs, baseMs * 2 ** this.ejectionsInRow);
    if (this.ejectionsInRow === 0) this.ejectedAt = Date.now();
    this.ejectionsInRow += 1;
    this.ejectedUntil = Date.now() + forMs;
    this.emit({ kind: 'ejected', forMs, failures: this.failuresInRow });
  }

  private emit(event: InstanceEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
