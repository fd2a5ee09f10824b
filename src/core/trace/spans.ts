import {
  type Attributes,
  type Context,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** Spans of tandem's own parts; set while tracing is on (core/trace/setup). */
let tracer: Tracer | undefined;
const propagator = new W3CTraceContextPropagator();

export function setTracer(t: Tracer): void {
  tracer = t;
}

export function clearTracer(): void {
  tracer = undefined;
}

export { SpanKind, type Span, type Attributes, type Context };

/** W3C trace context as it travels in headers (HTTP, THeader, a queued job's data). */
export interface TraceCarrier {
  traceparent?: string | undefined;
  tracestate?: string | undefined;
}

/** The context a caller's `traceparent`/`tracestate` continue; the root context without a valid one. */
export function contextFrom(carrier: TraceCarrier): Context {
  if (carrier.traceparent === undefined) return ROOT_CONTEXT;
  return propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
}

/** The active span's `traceparent` (and `tracestate`) to send on; empty when tracing is off or no span is active. */
export function outgoingTraceHeaders(): TraceCarrier {
  const carrier: Record<string, string> = {};
  if (tracer) propagator.inject(context.active(), carrier, defaultTextMapSetter);
  return carrier;
}

/**
 * Starts a span under `parent` (the active context when left out); undefined
 * when tracing is off. `requireParent`: only as a child of a span in the
 * process (a query or a command outside any request or job is not traced).
 */
export function startSpan(
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  parent: Context = context.active(),
  requireParent = false,
): { span: Span; context: Context } | undefined {
  if (!tracer) return undefined;
  if (requireParent && trace.getSpan(parent) === undefined) return undefined;
  const span = tracer.startSpan(name, { kind, attributes }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** Runs `fn` with `ctx` as the active trace context. */
export function runInTrace<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn);
}

/** Ends a span, marked as an error with the error's class and message (never its stack) when `err` is given. */
export function endSpan(span: Span, err?: unknown, attributes?: Attributes): void {
  if (attributes) span.setAttributes(attributes);
  if (err !== undefined) {
    const e = err instanceof Error ? err : new Error(typeof err === 'string' ? err : 'failed');
    span.recordException({ name: e.name, message: e.message });
    span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
  }
  span.end();
}

/**
 * Runs `fn` inside a new child span of the active one, ended when its promise
 * settles (an error when it rejects). With tracing off, `fn` is called as is.
 */
export function inSpan<T>(
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  fn: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  const started = startSpan(name, kind, attributes);
  if (!started) return fn(undefined);
  const { span } = started;
  return context.with(started.context, () => settleIn(span, () => fn(span)));
}

/** Runs `run` and ends `span` when it settles: with the error when it rejects. */
export function settleIn<T>(span: Span, run: () => Promise<T>): Promise<T> {
  return run().then(
    (value) => {
      span.end();
      return value;
    },
    (err: unknown) => {
      endSpan(span, err);
      throw err;
    },
  );
}
