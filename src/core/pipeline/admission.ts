import { ServerError } from '../../exception';
import { prom, statsd } from '../monitor';
import { eventLoopLag } from './event-loop-lag';
import type { Door } from './failure';

/** Why a request was shed: its door was full, its caller was, or the event loop lags. */
export type ShedReason = 'door' | 'caller' | 'lag';

export interface AdmissionLimits {
  /** Requests or calls served at once through this door; 0: no limit. */
  maxInFlight: number;
  /** Calls served at once for one caller (Thrift: thrift.caller_max_in_flight); 0: no limit. */
  callerMaxInFlight: number;
  /** Event-loop lag past which new requests are shed (server.max_event_loop_lag_ms); 0: no guard. */
  maxLagMs: number;
  /** The Retry-After of a shed answer, in seconds (server.shed_retry_after_seconds). */
  retryAfterSeconds: number;
}

/**
 * Admission for one door, written once for both: a request is admitted while
 * the door has fewer than maxInFlight requests in flight, its caller fewer
 * than callerMaxInFlight, and the event loop lags less than maxLagMs.
 * Otherwise it is shed at once with OVERLOADED (code 102): a refusal costs a
 * counter check and a short answer, where a queued request would wait behind
 * every other and make the admitted ones late too. Each door asks before it
 * runs the operation and releases when the answer is written; health,
 * liveness and metrics never ask (each door knows which those are).
 */
export class Admission {
  private inFlight = 0;
  private readonly perCaller = new Map<string, number>();
  private readonly stopLag: (() => void) | undefined;
  private readonly statsdNames: Record<ShedReason, string>;

  constructor(
    private readonly door: Door,
    private readonly limits: AdmissionLimits,
  ) {
    this.stopLag = limits.maxLagMs > 0 ? eventLoopLag.acquire() : undefined;
    this.statsdNames = { door: `${door}.shed.door`, caller: `${door}.shed.caller`, lag: `${door}.shed.lag` };
  }

  /** Requests admitted and not yet released. */
  get size(): number {
    return this.inFlight;
  }

  /**
   * Admits a request (then `release(caller)` once it is answered) or returns
   * the error to answer it with, already counted. `caller` is the Thrift
   * caller's name (or address); HTTP passes none.
   */
  admit(caller?: string): ServerError | undefined {
    const { maxInFlight, callerMaxInFlight, maxLagMs } = this.limits;
    if (maxLagMs > 0 && eventLoopLag.lastMs > maxLagMs) return this.shed('lag');
    if (maxInFlight > 0 && this.inFlight >= maxInFlight) return this.shed('door');
    if (caller !== undefined && callerMaxInFlight > 0) {
      const own = this.perCaller.get(caller) ?? 0;
      if (own >= callerMaxInFlight) return this.shed('caller');
      this.perCaller.set(caller, own + 1);
    }
    this.inFlight += 1;
    return undefined;
  }

  /** Ends an admitted request: call once per admit() that returned nothing, with the same caller. */
  release(caller?: string): void {
    this.inFlight -= 1;
    if (caller === undefined || this.limits.callerMaxInFlight <= 0) return;
    const own = (this.perCaller.get(caller) ?? 1) - 1;
    // At zero the entry goes: a caller that comes once does not stay in the map.
    if (own > 0) this.perCaller.set(caller, own);
    else this.perCaller.delete(caller);
  }

  /** Stops the lag sampling this admission started. */
  close(): void {
    this.stopLag?.();
  }

  private shed(reason: ShedReason): ServerError {
    prom.shedTotal.inc({ door: this.door, reason });
    statsd.increment(this.statsdNames[reason]);
    return new ServerError('OVERLOADED', { params: { retry_after: this.limits.retryAfterSeconds, reason } });
  }
}

/** The configuration keys admission reads, as the config schema names them. */
export interface AdmissionConfig {
  http: { max_in_flight: number };
  thrift: { max_in_flight: number; caller_max_in_flight: number };
  server: { max_event_loop_lag_ms: number; shed_retry_after_seconds: number };
}

/** The admission of one door from the configuration. */
export function admissionFor(door: Door, config: AdmissionConfig): Admission {
  return new Admission(door, {
    maxInFlight: door === 'http' ? config.http.max_in_flight : config.thrift.max_in_flight,
    callerMaxInFlight: door === 'thrift' ? config.thrift.caller_max_in_flight : 0,
    maxLagMs: config.server.max_event_loop_lag_ms,
    retryAfterSeconds: config.server.shed_retry_after_seconds,
  });
}
