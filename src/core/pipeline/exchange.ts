import { type RequestContext, roundedMs } from '../ctx';
import { logAccess } from '../log';
import { prom, statsd } from '../monitor';
import { requestTraceFields } from '../trace';
import type { Door } from './failure';

/**
 * An exchange is one request through a door, from its arrival to its
 * answer. Its two ends are the pipeline's, written once for both doors:
 * arriving, it is counted in flight; answered, it is timed (a statsd timing
 * and the door's Prometheus histogram), counted out, and written as the
 * door's access line. What differs by door is only how the operation and
 * its outcome are named: HTTP by method, route template and status class,
 * Thrift by method and outcome (`ok` or an error kind).
 */

/** The statsd name and Prometheus series one outcome of one operation is recorded under. */
export interface OutcomeMetrics {
  statsdName: string;
  duration: { observe: (seconds: number) => void };
}

/**
 * The metrics of one operation, one per outcome, each built when first
 * used: a request neither rebuilds the statsd name nor re-validates the
 * Prometheus labels. Outcomes are few and fixed per door (status classes,
 * error kinds), so the set stays small.
 */
export class OperationMetrics {
  private readonly byOutcome = new Map<string, OutcomeMetrics>();

  constructor(private readonly build: (outcome: string) => OutcomeMetrics) {}

  of(outcome: string): OutcomeMetrics {
    let metrics = this.byOutcome.get(outcome);
    if (!metrics) {
      metrics = this.build(outcome);
      this.byOutcome.set(outcome, metrics);
    }
    return metrics;
  }
}

/** Each door's access line. */
const ACCESS_MESSAGE: Record<Door, string> = { http: 'http access', thrift: 'thrift access' };

/** An exchange has arrived at `door`: it counts in flight (tandem_in_flight) until closeExchange. */
export function openExchange(door: Door): void {
  prom.inFlightNow[door] += 1;
}

/**
 * An exchange is answered, `ms` after it arrived: its timing under
 * `metrics`, out of the in-flight count, and, when `fields` are given (the
 * door's access log is on), its access line: the request id, the trace and
 * span ids, the caller, the door's own fields in their order, and the
 * duration. statsd and the log sinks handle their own outages: this never
 * fails a request.
 */
export function closeExchange(
  door: Door,
  ctx: RequestContext,
  ms: number,
  metrics: OutcomeMetrics,
  caller: string | undefined,
  fields: Record<string, unknown> | undefined,
): void {
  statsd.timing(metrics.statsdName, ms);
  metrics.duration.observe(ms / 1000);
  prom.inFlightNow[door] -= 1;
  if (!fields) return;
  logAccess(ACCESS_MESSAGE[door], {
    request_id: ctx.requestId,
    ...requestTraceFields(ctx),
    caller,
    ...fields,
    duration_ms: roundedMs(ms),
  });
}
