import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { newContext } from '../../src/core/ctx';
import {
  activeTraceFields,
  endHttpSpan,
  endThriftSpan,
  requestTraceFields,
  traceHttpRequest,
  traceThriftCall,
  tracing,
} from '../../src/core/trace';
import { cachedHttpRead, cachedThriftRead } from './read-pairs';
import type { Scenario } from './scenarios';

/**
 * What tracing costs (docs/tracing.md). On: the same server with every trace
 * sampled and exported over OTLP to the run's sink ('tandem-traced'), beside
 * itself with tracing off ('tandem'), on the same cached reads. Off: the
 * hooks a request passes with tracing off, timed in-process and set against
 * the CPU a request costs, as measured in the same run.
 */

export const TRACE_SCENARIOS: Scenario[] = [
  cachedHttpRead('GET /api/cs/events/:id (cache hit), traced 100% vs off', 'tandem-traced', 'tandem'),
  cachedThriftRead('thrift get_cs_event(id) (cache hit), traced 100% vs off', 'tandem-traced', 'tandem'),
];

/**
 * Nanoseconds the tracing hooks of one HTTP request and one Thrift call take
 * with tracing off (this process never turns it on): the door's span start
 * and end, the access line's trace fields, and a log line's. The loop's own
 * cost is counted in, so the figure is an upper bound.
 */
export function traceOffHooksNs(iterations = 2_000_000): number {
  if (tracing.on) throw new Error('Tracing is on in the benchmark process; the off figure would be wrong.');
  const req = { method: 'GET', url: '/api/cs/events/1', headers: {} } as IncomingMessage;
  const res = {} as ServerResponse;
  const ctx = newContext('http', 'bench-trace-off');
  let sink = 0;
  const once = (): void => {
    sink += traceHttpRequest(req, res, ctx, () => 1);
    endHttpSpan(ctx, 'GET', '/api/cs/events/:id', 200);
    sink += Object.keys(requestTraceFields(ctx)).length + (activeTraceFields() === undefined ? 0 : 1);
    sink += traceThriftCall('get_cs_event', ctx, {}, () => 1);
    endThriftSpan(ctx, 'ok', undefined);
  };
  for (let i = 0; i < 100_000; i += 1) once();
  const started = performance.now();
  for (let i = 0; i < iterations; i += 1) once();
  const ns = ((performance.now() - started) * 1e6) / iterations;
  if (sink === 0) throw new Error('The hooks did not run.');
  return ns;
}
