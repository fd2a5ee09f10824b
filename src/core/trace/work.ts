import { splitHostPort } from '../config';
import { tracing } from './active';
import {
  contextFrom,
  endSpan,
  inSpan,
  outgoingTraceHeaders,
  runInTrace,
  settleIn,
  SpanKind,
  startSpan,
  type TraceCarrier,
} from './spans';

/**
 * Spans of the work that does not come through a door: queued jobs (a
 * producer span at enqueue whose trace context travels in the job's data,
 * and a consumer span per run as its child, so one trace goes from the
 * request that queued the job to each of its tries), timed job runs, and
 * calls to sibling services (client spans whose context is sent on).
 */

/**
 * Runs `add` (the enqueue) inside a producer span and hands it the trace
 * context to store with the job; with tracing off, `add` gets no context.
 */
export function traceEnqueue<T>(queue: string, add: (carrier: TraceCarrier | undefined) => Promise<T>): Promise<T> {
  if (!tracing.on) return add(undefined);
  return inSpan(
    `${queue} publish`,
    SpanKind.PRODUCER,
    { 'messaging.system': 'bull', 'messaging.operation.type': 'send', 'messaging.destination.name': queue },
    () => add(outgoingTraceHeaders()),
  );
}

export interface JobRunInfo {
  queue: string;
  id: string;
  attempt: number;
}

/** Runs one try of a queued job inside a consumer span, a child of the span that queued it. */
export function traceJobRun<T>(job: JobRunInfo, carrier: TraceCarrier | undefined, run: () => Promise<T>): Promise<T> {
  if (!tracing.on) return run();
  const started = startSpan(
    `${job.queue} process`,
    SpanKind.CONSUMER,
    {
      'messaging.system': 'bull',
      'messaging.operation.type': 'process',
      'messaging.destination.name': job.queue,
      'messaging.message.id': job.id,
      'tandem.job.attempt': job.attempt,
    },
    contextFrom(carrier ?? {}),
  );
  if (!started) return run();
  return settleIn(started.span, () => runInTrace(started.context, run));
}

/** Runs one timed job run inside a span, with its outcome recorded by `outcomeOf`. */
export function traceTimedJob<T>(name: string, run: () => Promise<T>, outcomeOf: (result: T) => string): Promise<T> {
  if (!tracing.on) return run();
  // A cron tick has no span around it (a new trace); a tick run from the queue continues the job's.
  const started = startSpan(`job ${name}`, SpanKind.INTERNAL, { 'tandem.job.name': name });
  if (!started) return run();
  const { span } = started;
  return runInTrace(started.context, run).then(
    (result) => {
      const outcome = outcomeOf(result);
      endSpan(span, outcome === 'failed' || outcome === 'timeout' ? new Error(outcome) : undefined, {
        'tandem.outcome': outcome,
      });
      return result;
    },
    (err: unknown) => {
      endSpan(span, err);
      throw err;
    },
  );
}

/**
 * Runs a call to a sibling service inside a client span; `call` gets the
 * trace headers to send with it (empty with tracing off).
 */
export function traceClientCall<T>(
  service: string,
  method: string,
  /** The instance called, `host:port`; read only with tracing on. */
  address: string,
  call: (headers: TraceCarrier) => Promise<T>,
): Promise<T> {
  if (!tracing.on) return call({});
  // The instance set joins host and port unbracketed (::1:9190), so a bare IPv6 is split at its last colon.
  const server = splitHostPort(address, { lastColon: true });
  return inSpan(
    `${service}/${method}`,
    SpanKind.CLIENT,
    {
      'rpc.system': 'apache_thrift',
      'rpc.service': service,
      'rpc.method': method,
      'server.address': server?.host ?? address,
      'server.port': server?.port ?? 0,
    },
    () => call(outgoingTraceHeaders()),
  );
}
