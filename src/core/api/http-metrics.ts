import type { Request, Response } from 'express';
import { elapsedMs, type RequestContext, roundedMs } from '../ctx';
import { logAccess } from '../log';
import { metricSegment, prom, statsd } from '../monitor';
import { endHttpSpan, requestTraceFields } from '../trace';

/** The metrics and access line of each HTTP request: a statsd timing and a Prometheus series per route and status class. */

const STATUS_CLASS = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx', 'other'];

/** The statsd name and Prometheus series of one method, route template and status class. */
interface RouteMetrics {
  statsdName: string;
  duration: { observe: (seconds: number) => void };
}

/**
 * The metrics of one method and route template, one per status class, each
 * built when first used: a request neither rebuilds the statsd name nor
 * re-validates the Prometheus labels. A declared route holds its own set;
 * the others (the raw pages, `unmatched`) are looked up by template.
 */
export class RouteMetricsSet {
  private readonly byClass: (RouteMetrics | undefined)[] = [];

  constructor(
    private readonly method: string,
    readonly template: string,
  ) {}

  of(status: number): RouteMetrics {
    const index = Math.min(Math.max(Math.floor(status / 100), 0), STATUS_CLASS.length - 1);
    let metrics = this.byClass[index];
    if (!metrics) {
      const statusClass = STATUS_CLASS[index] as string;
      metrics = {
        statsdName: `http.${this.method}.${metricSegment(this.template)}.${statusClass}`,
        duration: prom.httpDuration.labels(this.method, this.template, statusClass),
      };
      this.byClass[index] = metrics;
    }
    return metrics;
  }
}

/**
 * The sets of the answers no declared route gave. Bounded: templates are
 * the raw pages' routes (or `unmatched`, or `shed` for a request admission refused) and methods the few that Node's
 * HTTP parser accepts.
 */
const otherMetrics = new Map<string, RouteMetricsSet>();

export function metricsOfOther(method: string, template: string): RouteMetricsSet {
  const key = `${method} ${template}`;
  let set = otherMetrics.get(key);
  if (!set) {
    set = new RouteMetricsSet(method, template);
    otherMetrics.set(key, set);
  }
  return set;
}

/** Records the access line and metrics of one request when its response is done. */
export function onResponseDone(req: Request, res: Response, ctx: RequestContext, accessLog: boolean): void {
  const ms = elapsedMs(ctx);
  const status = res.writableFinished ? res.statusCode : 499;
  let set = req.tandemMetrics;
  let template: string;
  if (set) {
    template = set.template;
  } else {
    template = req.route ? `${req.baseUrl}${String((req.route as { path: string }).path)}` : 'unmatched';
    set = metricsOfOther(req.method, template);
  }
  const metrics = set.of(status);
  statsd.timing(metrics.statsdName, ms);
  metrics.duration.observe(ms / 1000);
  prom.inFlightNow.http -= 1;
  endHttpSpan(ctx, req.method, template, status);
  if (accessLog) {
    logAccess('http access', {
      request_id: ctx.requestId,
      ...requestTraceFields(ctx),
      caller: ctx.caller,
      method: req.method,
      route: template,
      path: req.path,
      status,
      duration_ms: roundedMs(ms),
    });
  }
}
