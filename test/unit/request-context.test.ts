import {
  contextFrames,
  currentContext,
  currentRequestId,
  newContext,
  requestIdFrom,
  roundedMs,
  runOutsideContext,
  runWithContext,
} from '../../src/core/ctx';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

describe('requestIdFrom', () => {
  it('when the caller sends a safe X-Request-Id, then it is kept as is', () => {
    expect(requestIdFrom('order-svc:9f2c.41_a-7', undefined)).toBe('order-svc:9f2c.41_a-7');
    expect(requestIdFrom('abc', TRACEPARENT)).toBe('abc');
  });

  it('when only a W3C traceparent is sent, then its trace id is the request id', () => {
    expect(requestIdFrom(undefined, TRACEPARENT)).toBe(TRACE_ID);
  });

  it('when the X-Request-Id is unsafe, then the traceparent or a new id replaces it and it is never echoed', () => {
    const unsafe = ['<script>alert(1)</script>', 'a b', '', 'x'.repeat(129), 'id\r\nSet-Cookie: a=b'];

    for (const header of unsafe) {
      const id = requestIdFrom(header, undefined);
      expect(id).toMatch(UUID);
      expect(requestIdFrom(header, TRACEPARENT)).toBe(TRACE_ID);
    }
  });

  it('when the traceparent is malformed or its trace id is all zeros, then a new id is generated', () => {
    expect(requestIdFrom(undefined, 'not-a-traceparent')).toMatch(UUID);
    expect(requestIdFrom(undefined, `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`)).toMatch(UUID);
  });

  it('when nothing is sent, then each request gets a fresh id', () => {
    const a = requestIdFrom(undefined, undefined);
    const b = requestIdFrom(undefined, undefined);

    expect(a).toMatch(UUID);
    expect(a).not.toBe(b);
  });
});

describe('request context', () => {
  it('when work is run outside the context inside a request, then it and its timers see none, and the request keeps its own', async () => {
    const ctx = newContext('thrift');
    await runWithContext(ctx, async () => {
      const inside = await runOutsideContext(
        () => new Promise<unknown>((resolve) => setImmediate(() => resolve(currentContext()))),
      );
      expect(inside).toBeUndefined();
      expect(currentContext()).toBe(ctx);
    });
  });

  it('when Node builds AsyncLocalStorage on AsyncContextFrame (24 by default, 22 with a flag), then the context module detects it', () => {
    const major = Number(process.versions.node.split('.')[0]);
    const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
    const documented = flags.includes('--no-async-context-frame')
      ? false
      : major >= 24 || flags.includes('--experimental-async-context-frame');

    expect(contextFrames).toBe(documented);
  });

  it('when a duration is rounded for metrics and access lines, then it keeps hundredths of a millisecond', () => {
    expect(roundedMs(0.052381699)).toBe(0.05);
    expect(roundedMs(12.3456)).toBe(12.35);
    expect(roundedMs(7)).toBe(7);
  });

  it('when code awaits inside runWithContext, then the context follows it through every await and timer', async () => {
    const ctx = newContext('http', 'req-ctx-1');

    const seen = await runWithContext(ctx, async () => {
      await Promise.resolve();
      await new Promise((resolve) => setTimeout(resolve, 1));
      const inner = await new Promise<string | undefined>((resolve) => setImmediate(() => resolve(currentRequestId())));
      return [currentRequestId(), inner];
    });

    expect(seen).toEqual(['req-ctx-1', 'req-ctx-1']);
    expect(currentContext()).toBeUndefined();
  });

  it('when two requests interleave, then each sees only its own context', async () => {
    const run = (id: string, delay: number): Promise<string | undefined> =>
      runWithContext(newContext('thrift', id), async () => {
        await new Promise((resolve) => setTimeout(resolve, delay));
        return currentRequestId();
      });

    const ids = await Promise.all([run('first', 5), run('second', 1)]);

    expect(ids).toEqual(['first', 'second']);
  });
});
