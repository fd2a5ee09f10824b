import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from '../ctx';
import { type TraceFields, traceFieldsOf, tracing } from './active';
import { contextFrom, endSpan, runInTrace, SpanKind, startSpan, type TraceCarrier } from './spans';

/**
 * The server spans of the two doors, kept on the request's context: one per
 * HTTP request (named by its route once matched) and one per Thrift call
 * (named by its method), each continuing the caller's W3C trace context
 * when it sent one (the `traceparent`/`tracestate` headers over HTTP, the
 * same names in THeader headers over Thrift).
 */

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The system routes (core/api/system-routes) a balancer, the deploy's health gate and Prometheus call
 * every few seconds: a trace each would bury the requests people look for.
 */
const UNTRACED_PATHS = new Set(['/ping', '/health', '/metrics']);

/**
 * Runs `fn` inside the HTTP request's server span (started here); `fn` as is
 * when tracing is off. The answer names the span in a `traceresponse` header
 * (W3C Trace Context level 2), as a THeader reply does in its `traceparent`.
 */
export function traceHttpRequest<T>(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, fn: () => T): T {
  if (!tracing.on || UNTRACED_PATHS.has(req.url ?? '')) return fn();
  const parent = contextFrom({
    traceparent: headerText(req.headers.traceparent),
    tracestate: headerText(req.headers.tracestate),
  });
  const started = startSpan(
    `${req.method ?? 'GET'}`,
    SpanKind.SERVER,
    {
      'http.request.method': req.method ?? '',
      'url.path': (req.url ?? '').split('?')[0] ?? '',
      'tandem.request_id': ctx.requestId,
      ...(ctx.clientAddress === undefined ? {} : { 'client.address': ctx.clientAddress }),
    },
    parent,
  );
  if (!started) return fn();
  ctx.span = started.span;
  const { traceId, spanId, traceFlags } = started.span.spanContext();
  res.setHeader('traceresponse', `00-${traceId}-${spanId}-0${traceFlags & 1}`);
  return runInTrace(started.context, fn);
}

/** Ends the HTTP request's span with its route template and status. */
export function endHttpSpan(ctx: RequestContext, method: string, route: string, status: number): void {
  const span = ctx.span;
  if (!span) return;
  span.updateName(`${method} ${route}`);
  const attributes = {
    'http.route': route,
    'http.response.status_code': status,
    ...(ctx.caller === undefined ? {} : { 'tandem.caller': ctx.caller }),
  };
  endSpan(span, status >= 500 ? new Error(`HTTP ${status}`) : undefined, attributes);
}

/** Runs `fn` inside the Thrift call's server span, continuing `carrier` (the call's THeader headers). */
export function traceThriftCall<T>(method: string, ctx: RequestContext, carrier: TraceCarrier, fn: () => T): T {
  if (!tracing.on) return fn();
  const started = startSpan(
    method,
    SpanKind.SERVER,
    {
      'rpc.system': 'apache_thrift',
      'rpc.method': method,
      'tandem.request_id': ctx.requestId,
      ...(ctx.clientAddress === undefined ? {} : { 'client.address': ctx.clientAddress }),
      ...(ctx.caller === undefined ? {} : { 'tandem.caller': ctx.caller }),
    },
    contextFrom(carrier),
  );
  if (!started) return fn();
  ctx.span = started.span;
  return runInTrace(started.context, fn);
}

/** Ends the Thrift call's span with its outcome (`ok` or an error kind) and business code. */
export function endThriftSpan(ctx: RequestContext, outcome: string, code: number | undefined): void {
  const span = ctx.span;
  if (!span) return;
  const attributes = { 'tandem.outcome': outcome, ...(code === undefined ? {} : { 'tandem.code': code }) };
  // The span stays on the context for the access line written after this.
  const failed = outcome === 'DevError' || outcome === 'ServerError';
  endSpan(span, failed ? new Error(outcome) : undefined, attributes);
}

/** The trace fields of a request's span, for its access line (written outside the span). */
export function requestTraceFields(ctx: RequestContext): TraceFields | Record<string, never> {
  return traceFieldsOf(ctx.span) ?? {};
}
