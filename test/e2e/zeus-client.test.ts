import net, { type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { buildConfig, type Config } from '../../src/core/config';
import { newContext, runWithContext } from '../../src/core/ctx';
import { statsd } from '../../src/core/monitor';
import { ThirdPartyError, UserError } from '../../src/exception';
import { ZeusClient } from '../../thirdparty/zeus/zeus-client';
import { FIXTURE_ORDERS, MAX_I64_ID, newOrder } from '../../thirdparty/zeus/stub/fixtures';
import { ZeusStub } from '../../thirdparty/zeus/stub/zeus-stub';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { waitFor, within } from '../helpers/wait';
import { listenStatsd, type StatsdListener } from '../helpers/statsd-listener';

/** Slack on top of a deadline: a bound against hanging, not a speed benchmark. */
const MARGIN_MS = 1000;

/** A config with zeus pointed at a stub; TANDEM_* variables are ignored so the stub's port wins. */
function zeusConfig(port: number, zeus: Partial<Config['thirdparty']['zeus']> = {}): Config {
  return buildConfig(
    {
      env: 'test',
      service_name: 'tandem-zeus-e2e',
      thirdparty: {
        zeus: {
          instances: [`127.0.0.1:${port}`],
          timeout_ms: 400,
          pool_size: 4,
          idle_ms: 30_000,
          retries: 2,
          retry_backoff_ms: 20,
          breaker_error_percent: 50,
          // High enough that only the breaker tests open the circuit.
          breaker_volume: 1000,
          breaker_reset_ms: 30_000,
          ...zeus,
        },
      },
    },
    {},
  );
}

/** Runs `call`, expecting it to fail within `boundMs`; resolves with the error and how long it took. */
async function failure(call: () => Promise<unknown>, boundMs: number): Promise<{ err: unknown; ms: number }> {
  const started = performance.now();
  const err = await within(
    call().then(
      () => {
        throw new Error('The call succeeded, but it was expected to fail.');
      },
      (e: unknown) => e,
    ),
    boundMs,
    'the failing call',
  );
  return { err, ms: performance.now() - started };
}

function expectThirdParty(err: unknown, code: number): void {
  expect(err).toBeInstanceOf(ThirdPartyError);
  expect((err as ThirdPartyError).code).toBe(code);
}

let logs: LogCapture;
beforeAll(() => {
  logs = captureLogs();
});

/** A stub and a client on it for one describe block. */
function zeusPair(
  zeus: Partial<Config['thirdparty']['zeus']> = {},
): () => { stub: ZeusStub; client: ZeusClient; config: Config } {
  let stub: ZeusStub;
  let client: ZeusClient;
  let config: Config;
  beforeAll(async () => {
    stub = new ZeusStub();
    const port = await stub.start();
    config = zeusConfig(port, zeus);
    client = new ZeusClient(config);
  });
  afterAll(async () => {
    await client.close();
    await stub.stop();
  });
  beforeEach(() => {
    stub.recover();
    stub.clearRecords();
  });
  return () => ({ stub, client, config });
}

describe('results and conversions', () => {
  const zeus = zeusPair();

  it('when every order is listed, then they arrive oldest first with exact 64-bit ids, names and Dates', async () => {
    const page = await zeus().client.listOrdersSince('', 1000);

    expect(page.orders).toEqual(FIXTURE_ORDERS);
    expect(page.next_cursor).toBe(MAX_I64_ID);
    const first = page.orders[0];
    expect(first?.id).toBe('9007199254740994');
    expect(first?.user_id).toBe('8000000000000000001');
    expect(first?.created_at).toEqual(new Date('2026-11-01T08:00:00.000Z'));
    expect(page.orders.map((o) => o.status)).toEqual(
      expect.arrayContaining(['created', 'paid', 'delivered', 'refunded', 'cancelled']),
    );
    expect(page.orders[page.orders.length - 1]?.id).toBe('9223372036854775807');
  });

  it('when orders are read page by page from the cursor, then none is skipped or repeated, and the cursor stays at the end', async () => {
    const { client } = zeus();
    const seen: string[] = [];
    let cursor = '';
    for (let i = 0; i < 10; i += 1) {
      const page = await client.listOrdersSince(cursor, 7);
      seen.push(...page.orders.map((o) => o.id));
      if (page.orders.length === 0) {
        expect(page.next_cursor).toBe(cursor);
        break;
      }
      cursor = page.next_cursor;
    }

    expect(seen).toEqual(FIXTURE_ORDERS.map((o) => o.id));
  });

  it('when a new order arrives, then a read from the last cursor returns only it', async () => {
    const { client, stub } = zeus();
    const arrived = newOrder({ amount_cents: 4321 });
    stub.addOrders([arrived]);

    const page = await client.listOrdersSince(MAX_I64_ID, 100);

    expect(page.orders).toEqual([arrived]);
    expect(page.next_cursor).toBe(arrived.id);
  });

  it('when one order is read by its largest-i64 id, then it comes back exactly', async () => {
    const order = await zeus().client.getOrder(MAX_I64_ID);

    expect(order).toEqual(FIXTURE_ORDERS.find((o) => o.id === MAX_I64_ID));
  });

  it('when a suspicious order is reported, then zeus receives its id, verdict and reason', async () => {
    const { client, stub } = zeus();
    const id = FIXTURE_ORDERS[3]?.id as string;

    await client.reportSuspicious(id, 'fraud', 'three orders from one phone within minutes');

    expect(stub.reports).toEqual([
      expect.objectContaining({ order_id: id, verdict: 'fraud', reason: 'three orders from one phone within minutes' }),
    ]);
  });

  it('when zeus answers with a declared exception, then the call fails with 703 and the remote message goes only to the log', async () => {
    const { err } = await failure(() => zeus().client.getOrder('12345'), zeus().client.maxCallMs(true) + MARGIN_MS);

    expectThirdParty(err, 703);
    expect((err as Error).message).toBe('zeus answered with an error: ZeusUserException code 404');
    expect(zeus().stub.callsOf('get_order')).toHaveLength(1);
    const line = await logs.find((l) => String(l.message).includes('zeus.get_order failed'));
    expect(line).toMatchObject({ level: 'warn', code: 703, cause: 'Order 12345 does not exist.' });
  });

  it('when the id is not a 64-bit integer, then the call is refused before reaching zeus', async () => {
    const { client, stub } = zeus();

    await expect(client.getOrder('12ab')).rejects.toThrow(UserError);
    await expect(client.getOrder('9223372036854775808')).rejects.toThrow(UserError);
    await expect(client.reportSuspicious('', 'fraud', 'x')).rejects.toMatchObject({ code: 1000 });
    expect(stub.calls).toHaveLength(0);
  });
});

describe('the request id', () => {
  const zeus = zeusPair();

  it('when a call is made inside a request, then zeus receives that request id and our service name', async () => {
    const { client, stub } = zeus();

    await runWithContext(newContext('job', 'zeus-e2e-request-1'), () => client.getOrder(MAX_I64_ID));

    expect(stub.calls).toEqual([
      expect.objectContaining({ method: 'get_order', request_id: 'zeus-e2e-request-1', caller: 'tandem-zeus-e2e' }),
    ]);
  });

  it('when calls are made outside any request, then each carries a new request id', async () => {
    const { client, stub } = zeus();

    await client.listOrdersSince('', 1);
    await client.listOrdersSince('', 1);

    const ids = stub.calls.map((c) => c.request_id);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('when an idempotent call is retried, then every attempt carries the same request id', async () => {
    const { client, stub } = zeus();
    stub.resetCalls({ times: 1 });

    await runWithContext(newContext('job', 'zeus-e2e-retried'), () => client.getOrder(MAX_I64_ID));

    expect(stub.calls.map((c) => c.request_id)).toEqual(['zeus-e2e-retried', 'zeus-e2e-retried']);
  });
});

describe('over THeader (transport: header)', () => {
  const zeus = zeusPair({ transport: 'header', retries: 0, timeout_ms: 400 });

  it('when orders are listed and one is read, then they arrive as over framed calls, exact to the last bit', async () => {
    const { client, stub } = zeus();

    const page = await client.listOrdersSince('', 1000);
    const order = await client.getOrder(MAX_I64_ID);

    expect(page.orders).toEqual(FIXTURE_ORDERS);
    expect(order).toEqual(FIXTURE_ORDERS.find((o) => o.id === MAX_I64_ID));
    expect(stub.calls.map((c) => c.method)).toEqual(['list_orders_since', 'get_order']);
  });

  it('when a call is made inside a request, then its headers carry the request id and our name, beside RequestMeta', async () => {
    const { client, stub } = zeus();

    await runWithContext(newContext('job', 'zeus-header-request-1'), () =>
      client.reportSuspicious(FIXTURE_ORDERS[2]?.id as string, 'legit', 'checked by phone'),
    );

    expect(stub.calls).toEqual([
      expect.objectContaining({
        method: 'report_suspicious',
        request_id: 'zeus-header-request-1',
        headers: { 'request-id': 'zeus-header-request-1', 'client-name': 'tandem-zeus-e2e' },
      }),
    ]);
    // Tracing is off here: no trace context is made up.
    expect(stub.calls[0]?.headers.traceparent).toBeUndefined();
  });

  it('when zeus answers with a declared exception, then the call fails with 703 and the connection is reused', async () => {
    const { client, stub } = zeus();

    const { err } = await failure(() => client.getOrder('12345'), 400 + MARGIN_MS);
    await client.getOrder(MAX_I64_ID);

    expectThirdParty(err, 703);
    expect(stub.calls.map((c) => c.connection)).toEqual([stub.connectionsAccepted, stub.connectionsAccepted]);
  });

  it('when a server answers a THeader call with a plain framed reply, then the call fails with 702 and the connection is dropped', async () => {
    // A framed-only server answering in its own framing: the reply cannot be read as the call's answer.
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => {
      sockets.push(socket);
      socket.once('data', () => socket.write(Buffer.from([0, 0, 0, 2, 0x80, 0x01])));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const client = new ZeusClient(zeusConfig(port, { transport: 'header', retries: 0, timeout_ms: 400 }));
    try {
      const { err } = await failure(() => client.getOrder(MAX_I64_ID), 400 + MARGIN_MS);

      expectThirdParty(err, 702);
      await waitFor(() => (sockets.every((s) => s.destroyed || s.readableEnded) ? true : undefined), 2000, 'the drop');
    } finally {
      await client.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('when zeus never answers, then the call fails with 701 at its deadline', async () => {
    const { client, stub } = zeus();
    stub.hangCalls();

    const { err, ms } = await failure(() => client.listOrdersSince('', 10), 400 + MARGIN_MS);

    expectThirdParty(err, 701);
    expect(ms).toBeGreaterThanOrEqual(350);
  });
});

describe('failures end within the deadline', () => {
  const zeus = zeusPair({ retries: 0, timeout_ms: 400 });

  it('when nothing listens on the port, then the call fails with 702 (unavailable)', async () => {
    const gone = new ZeusStub();
    const port = await gone.start();
    await gone.goAway();
    const client = new ZeusClient(zeusConfig(port, { retries: 0, timeout_ms: 400 }));
    try {
      const { err } = await failure(() => client.getOrder(MAX_I64_ID), 400 + MARGIN_MS);

      expectThirdParty(err, 702);
      expect((err as Error).message).toBe('zeus is unavailable; try again shortly.');
    } finally {
      await client.close();
    }
  });

  it('when zeus resets the connection mid-call, then the call fails with 702', async () => {
    const { client, stub } = zeus();
    stub.resetCalls();

    const { err } = await failure(() => client.getOrder(MAX_I64_ID), 400 + MARGIN_MS);

    expectThirdParty(err, 702);
    expect(stub.callsOf('get_order')).toHaveLength(1);
  });

  it('when zeus never answers, then the call fails with 701 at its deadline and the connection is closed', async () => {
    const { client, stub } = zeus();
    stub.hangCalls();

    const { err, ms } = await failure(() => client.listOrdersSince('', 10), 400 + MARGIN_MS);

    expectThirdParty(err, 701);
    expect((err as Error).message).toBe('zeus did not answer within 400 ms.');
    expect(ms).toBeGreaterThanOrEqual(350);
    await waitFor(() => (stub.openConnections === 0 ? true : undefined), 2000, 'the stub to see the connection closed');
  });

  it('when an idempotent call never gets an answer, then it is tried 1 + retries times and settles within maxCallMs', async () => {
    const { stub } = zeus();
    const client = new ZeusClient(zeusConfig(stub.port, { retries: 2, timeout_ms: 300, retry_backoff_ms: 20 }));
    stub.hangCalls();
    try {
      const { err } = await failure(() => client.getOrder(MAX_I64_ID), client.maxCallMs(true) + MARGIN_MS);

      expectThirdParty(err, 701);
      expect(stub.callsOf('get_order')).toHaveLength(3);
    } finally {
      await client.close();
    }
  });
});

describe('retries', () => {
  const zeus = zeusPair({ retries: 2, timeout_ms: 400, retry_backoff_ms: 20 });

  it('when the first call of an idempotent read is reset, then it is retried and succeeds', async () => {
    const { client, stub } = zeus();
    stub.resetCalls({ times: 1 });

    const order = await within(client.getOrder(MAX_I64_ID), client.maxCallMs(true) + MARGIN_MS, 'getOrder');

    expect(order.id).toBe(MAX_I64_ID);
    expect(stub.callsOf('get_order').map((c) => c.fault)).toEqual(['reset', undefined]);
  });

  it('when the first page read times out, then it is retried on a new connection and succeeds', async () => {
    const { client, stub } = zeus();
    stub.hangCalls({ times: 1 });

    const page = await within(client.listOrdersSince('', 5), client.maxCallMs(true) + MARGIN_MS, 'listOrdersSince');

    expect(page.orders).toHaveLength(5);
    const [first, second] = stub.callsOf('list_orders_since');
    expect(first?.connection).not.toBe(second?.connection);
  });

  it('when report_suspicious times out, then it is not retried: zeus saw exactly one call', async () => {
    const { client, stub } = zeus();
    stub.hangCalls({ method: 'report_suspicious' });

    const { err } = await failure(() => client.reportSuspicious(MAX_I64_ID, 'fraud', 'test'), 400 + MARGIN_MS);

    expectThirdParty(err, 701);
    // Longer than any backoff: a retry would have arrived by now.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stub.callsOf('report_suspicious')).toHaveLength(1);
    expect(stub.reports).toHaveLength(0);
  });

  it('when report_suspicious is reset, then it is not retried either', async () => {
    const { client, stub } = zeus();
    stub.resetCalls({ method: 'report_suspicious', times: 1 });

    const { err } = await failure(() => client.reportSuspicious(MAX_I64_ID, 'legit', 'test'), 400 + MARGIN_MS);

    expectThirdParty(err, 702);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(stub.callsOf('report_suspicious')).toHaveLength(1);
  });

  it('when zeus answers an idempotent read with an exception, then it is not retried: an answer is not a failure to answer', async () => {
    const { client, stub } = zeus();
    stub.failCalls({ times: 1 });

    const { err } = await failure(() => client.getOrder(MAX_I64_ID), client.maxCallMs(true) + MARGIN_MS);

    expectThirdParty(err, 703);
    expect((err as Error).message).toBe('zeus answered with an error: ZeusServerException code 503');
    expect(stub.callsOf('get_order')).toHaveLength(1);
  });
});

describe('the circuit breaker', () => {
  const RESET_MS = 600;
  const zeus = zeusPair({
    retries: 0,
    timeout_ms: 400,
    breaker_volume: 4,
    breaker_error_percent: 50,
    breaker_reset_ms: RESET_MS,
  });

  it('when zeus keeps failing, then the circuit opens, calls fail fast with 704 without reaching zeus, and a probe closes it once zeus is back', async () => {
    const { client, stub } = zeus();
    stub.resetCalls();
    for (let i = 0; i < 4; i += 1) {
      const { err } = await failure(() => client.getOrder(MAX_I64_ID), 400 + MARGIN_MS);
      expectThirdParty(err, 702);
    }
    expect(client.breakerState).toBe('open');
    const reached = stub.calls.length;

    for (let i = 0; i < 3; i += 1) {
      const { err, ms } = await failure(() => client.getOrder(MAX_I64_ID), 400 + MARGIN_MS);
      expectThirdParty(err, 704);
      expect((err as Error).message).toBe('zeus is failing; calls are paused for a while.');
      // Failing fast: well before the call's own deadline.
      expect(ms).toBeLessThan(400);
    }
    expect(stub.calls).toHaveLength(reached);

    stub.recover();
    await waitFor(
      () => (client.breakerState === 'half_open' ? true : undefined),
      RESET_MS + MARGIN_MS,
      'the breaker to half-open',
    );
    const probe = await client.getOrder(MAX_I64_ID);

    expect(probe.id).toBe(MAX_I64_ID);
    expect(client.breakerState).toBe('closed');
    expect(stub.calls).toHaveLength(reached + 1);
    await expect(client.listOrdersSince('', 2)).resolves.toMatchObject({
      orders: [expect.anything(), expect.anything()],
    });
  });

  it('when the probe fails, then the circuit opens again until the next probe', async () => {
    const { client, stub } = zeus();
    stub.resetCalls();
    // The rolling window still holds the previous test's calls: fail until the share is high enough.
    for (let i = 0; i < 20 && client.breakerState !== 'open'; i += 1) {
      await failure(() => client.getOrder(MAX_I64_ID), 400 + MARGIN_MS);
    }
    expect(client.breakerState).toBe('open');
    await waitFor(
      () => (client.breakerState === 'half_open' ? true : undefined),
      RESET_MS + MARGIN_MS,
      'the breaker to half-open',
    );

    const probe = await failure(() => client.getOrder(MAX_I64_ID), 400 + MARGIN_MS);
    expectThirdParty(probe.err, 702);
    expect(client.breakerState).toBe('open');
    const after = await failure(() => client.getOrder(MAX_I64_ID), 400 + MARGIN_MS);
    expectThirdParty(after.err, 704);

    stub.recover();
    await waitFor(
      () => (client.breakerState === 'half_open' ? true : undefined),
      RESET_MS + MARGIN_MS,
      'the breaker to half-open',
    );
    await expect(client.getOrder(MAX_I64_ID)).resolves.toMatchObject({ id: MAX_I64_ID });
  });

  it('when zeus answers with exceptions, then the circuit stays closed: zeus is up', async () => {
    const { client, stub } = zeus();
    stub.failCalls();

    for (let i = 0; i < 8; i += 1) {
      const { err } = await failure(() => client.getOrder(MAX_I64_ID), 400 + MARGIN_MS);
      expectThirdParty(err, 703);
    }

    expect(client.breakerState).toBe('closed');
    expect(stub.callsOf('get_order')).toHaveLength(8);
  });
});

describe('the connection pool', () => {
  const IDLE_MS = 400;
  const zeus = zeusPair({ pool_size: 2, idle_ms: IDLE_MS, retries: 0 });

  it('when calls follow one another, then they share one connection, which is closed once idle for idle_ms', async () => {
    const { client, stub } = zeus();
    const accepted = stub.connectionsAccepted;

    for (let i = 0; i < 10; i += 1) await client.getOrder(MAX_I64_ID);

    expect(stub.connectionsAccepted - accepted).toBe(1);
    expect(stub.openConnections).toBe(1);
    await waitFor(
      () => (stub.openConnections === 0 ? true : undefined),
      IDLE_MS + MARGIN_MS,
      'the idle connection to close',
    );
  });

  it('when more calls run at once than the pool size, then they wait for a connection and all succeed', async () => {
    const { client, stub } = zeus();
    stub.setLatency(50);
    const accepted = stub.connectionsAccepted;

    const orders = await within(
      Promise.all(Array.from({ length: 8 }, () => client.getOrder(MAX_I64_ID))),
      400 + MARGIN_MS,
      'eight calls',
    );

    expect(orders).toHaveLength(8);
    expect(stub.connectionsAccepted - accepted).toBe(2);
  });

  it('when a call timed out, then its connection is not reused', async () => {
    const { client, stub } = zeus();
    await client.getOrder(MAX_I64_ID);
    stub.hangCalls({ times: 1 });

    await failure(() => client.getOrder(MAX_I64_ID), 400 + MARGIN_MS);
    await client.getOrder(MAX_I64_ID);

    const [ok, hung, next] = stub.callsOf('get_order');
    expect(hung?.connection).toBe(ok?.connection);
    expect(next?.connection).not.toBe(hung?.connection);
  });

  it('when zeus went away and came back, then the next call opens a new connection instead of using a dead one', async () => {
    const { client, stub } = zeus();
    await client.getOrder(MAX_I64_ID);
    await stub.goAway();
    await waitFor(
      () => (client.poolStats().open === 0 ? true : undefined),
      MARGIN_MS,
      'the client to see its connection closed',
    );
    await stub.comeBack();

    const order = await client.getOrder(MAX_I64_ID);

    expect(order.id).toBe(MAX_I64_ID);
    const [before, after] = stub.callsOf('get_order');
    expect(after?.connection).not.toBe(before?.connection);
  });

  it('when the client is closed, then its sockets end and later calls fail with 702', async () => {
    const { stub, config } = zeus();
    const client = new ZeusClient(config);
    await client.getOrder(MAX_I64_ID);
    const open = stub.openConnections;
    expect(client.poolStats().open).toBe(1);

    await client.close();

    expect(client.poolStats().open).toBe(0);
    await waitFor(
      () => (stub.openConnections < open ? true : undefined),
      MARGIN_MS,
      'the stub to see the connection closed',
    );
    const { err } = await failure(() => client.getOrder(MAX_I64_ID), MARGIN_MS);
    expectThirdParty(err, 702);
  });
});

describe('statsd', () => {
  const PREFIX = `zeus-e2e-${process.pid}.`;
  let statsdListener: StatsdListener;
  const zeus = zeusPair({ retries: 1, timeout_ms: 300, breaker_volume: 3, breaker_reset_ms: 30_000 });

  beforeAll(async () => {
    statsdListener = await listenStatsd();
    statsd.reconfigure({ host: '127.0.0.1', port: statsdListener.port, prefix: PREFIX, enabled: true });
  });

  afterAll(async () => {
    statsd.reconfigure({ host: '127.0.0.1', port: 8125, prefix: 'tandem.', enabled: false });
    await statsdListener.close();
  });

  const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const received = (name: string, type: 'ms' | 'c' | 'g'): Promise<string> => {
    const pattern = new RegExp(`^${escape(PREFIX + name)}:\\d+(\\.\\d+)?\\|${type}$`);
    return waitFor(
      () => statsdListener.lines.find((l) => pattern.test(l)),
      5000,
      `a statsd line ${PREFIX}${name}|${type}`,
    );
  };

  it('when calls succeed, fail and are retried, then their timing, errors and retries reach statsd', async () => {
    const { client, stub } = zeus();
    await client.getOrder(MAX_I64_ID);
    await received('thirdparty.zeus.get_order.ok', 'ms');

    stub.resetCalls({ times: 1 });
    await client.listOrdersSince('', 1);
    await received('thirdparty.zeus.list_orders_since.retry', 'c');

    stub.hangCalls({ method: 'report_suspicious', times: 1 });
    await failure(() => client.reportSuspicious(MAX_I64_ID, 'fraud', 'x'), 300 + MARGIN_MS);
    await received('thirdparty.zeus.report_suspicious.timeout', 'ms');
    await received('thirdparty.zeus.errors.timeout', 'c');
    await received('thirdparty.zeus.pool.open', 'g');
  });

  it('when the circuit opens, then the opening and the fast failures are counted', async () => {
    const { client, stub } = zeus();
    await stub.goAway();
    try {
      for (let i = 0; i < 6; i += 1)
        await failure(() => client.getOrder(MAX_I64_ID), client.maxCallMs(true) + MARGIN_MS);
    } finally {
      await stub.comeBack();
    }

    await received('thirdparty.zeus.breaker.open', 'c');
    await received('thirdparty.zeus.breaker.rejected', 'c');
    await received('thirdparty.zeus.get_order.circuit_open', 'ms');
    await received('thirdparty.zeus.errors.circuit_open', 'c');
  });
});
