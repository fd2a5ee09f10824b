import { context, type Span, trace } from '@opentelemetry/api';

/**
 * Whether spans are made: set by `startTracing`, cleared by `stopTracing`.
 * Every hook checks this first, so with tracing off (the default) no span,
 * no context and no propagation work is done at all. A leaf module (only the
 * OpenTelemetry API): the logger reads it without importing the exporter.
 */
export const tracing = { on: false };

/** `trace_id` and `span_id` (hex) of a span, for a log line. */
export interface TraceFields {
  trace_id: string;
  span_id: string;
}

/** The fields of `span`, or undefined without one (or with an invalid one). */
export function traceFieldsOf(span: Span | undefined): TraceFields | undefined {
  if (span === undefined) return undefined;
  const { traceId, spanId } = span.spanContext();
  if (traceId === '00000000000000000000000000000000') return undefined;
  return { trace_id: traceId, span_id: spanId };
}

/** The fields of the active span; undefined when tracing is off or no span is active. */
export function activeTraceFields(): TraceFields | undefined {
  if (!tracing.on) return undefined;
  return traceFieldsOf(trace.getSpan(context.active()));
}
