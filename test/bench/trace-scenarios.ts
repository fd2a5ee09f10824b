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
import { csSeed, rewarmCsSeed } from './cs-seed';
import type { HttpTarget, Scenario, ThriftTarget } from './scenarios';
import { TANDEM_SERVICE } from './servers';

/**
 * What tracing costs (docs/tracing.md). On: the same server with every trace
 * sampled and exported over OTLP to the run's sink ('tandem-traced'), beside
 * itself with tracing off ('tandem'), on the same cached reads. Off: the
 * hooks a request passes with tracing off, timed in-process and set against
 * the CPU a request costs, as measured in the same run.
 */

function tracedRead(): Scenario {
  const traced: HttpTarget = { server: 'tandem-traced', method: 'GET', path: '' };
  const off: HttpTarget = { server: 'tandem', method: 'GET', path: '' };
  return {
    name: 'GET /api/cs/events/:id (cache hit), traced 100% vs off',
    kind: 'http',
    tandem: traced,
    bare: off,
    beforeRun: rewarmCsSeed,
    setup: async (servers) => {
      const { token, eventId } = await csSeed(servers);
      for (const target of [traced, off]) {
        target.path = `/api/cs/events/${eventId}`;
        target.headers = { authorization: `Bearer ${token}` };
      }
    },
  };
}

function tracedThrift(): Scenario {
  const traced: ThriftTarget = { server: 'tandem-traced', serviceModule: TANDEM_SERVICE, method: 'get_cs_event' };
  const off: ThriftTarget = { server: 'tandem', serviceModule: TANDEM_SERVICE, method: 'get_cs_event' };
  return {
    name: 'thrift get_cs_event(id) (cache hit), traced 100% vs off',
    kind: 'thrift',
    tandem: traced,
    bare: off,
    beforeRun: rewarmCsSeed,
    setup: async (servers) => {
      const { eventId } = await csSeed(servers);
      traced.args = [eventId];
      off.args = [eventId];
    },
  };
}

export const TRACE_SCENARIOS: Scenario[] = [tracedRead(), tracedThrift()];

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
