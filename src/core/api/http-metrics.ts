import type { Request, Response } from 'express';
import { elapsedMs, type RequestContext } from '../ctx';
import { metricSegment, prom } from '../monitor';
import { closeExchange, OperationMetrics } from '../pipeline';
import { endHttpSpan } from '../trace';

/** The HTTP door's naming of an exchange's metrics: a statsd timing and a Prometheus series per route and status class. */

const STATUS_CLASS = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx', 'other'];

function statusClass(status: number): string {
  return STATUS_CLASS[Math.min(Math.max(Math.floor(status / 100), 0), STATUS_CLASS.length - 1)] as string;
}

/**
 * The metrics of one method and route template, one per status class. A
 * declared route holds its own set; the others (the raw pages, `unmatched`)
 * are looked up by template.
 */
export class RouteMetricsSet extends OperationMetrics {
  constructor(
    method: string,
    readonly template: string,
  ) {
    super((cls) => ({
      statsdName: `http.${method}.${metricSegment(template)}.${cls}`,
      duration: prom.httpDuration.labels(method, template, cls),
    }));
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

/** Closes one request's exchange when its response is done: its span, metrics and access line. */
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
  endHttpSpan(ctx, req.method, template, status);
  const fields = accessLog ? { method: req.method, route: template, path: req.path, status } : undefined;
  closeExchange('http', ctx, ms, set.of(statusClass(status)), ctx.caller, fields);
}
