/**
 * OpenTelemetry traces (docs/tracing.md): off unless trace.otlp_url is set,
 * and then a boolean check at each hook. Spans for both doors, queued and
 * timed jobs, sibling-service calls, MySQL queries and Redis commands; W3C
 * trace context in and out over HTTP, THeader and the queue.
 */
export { activeTraceFields, type TraceFields, traceFieldsOf, tracing } from './active';
export { flushTraces, startTracing, stopTracing, type TraceIdentity, type TraceOptions } from './setup';
export { endSpan, inSpan, outgoingTraceHeaders, type Span, SpanKind, type TraceCarrier } from './spans';
export { endHttpSpan, endThriftSpan, requestTraceFields, traceHttpRequest, traceThriftCall } from './doors';
export { type JobRunInfo, traceClientCall, traceEnqueue, traceJobRun, traceTimedJob } from './work';
export { traceIdentity, tracingComponent } from './component';
export { traceOperations } from './operations';
