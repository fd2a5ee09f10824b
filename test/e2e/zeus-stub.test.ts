import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { i64ToDecimal } from '../../src/core/rpc/int64';
import { idToInt64 } from '../../thirdparty/zeus/zeus-convert';
import type { ZeusOrder } from '../../thirdparty/zeus/zeus-types';
import {
  EXPECTED_FLAGS,
  FIXTURE_ORDERS,
  FLAGGED_FIXTURE_IDS,
  MAX_I64_ID,
  newOrder,
  type FixtureRule,
} from '../../thirdparty/zeus/stub/fixtures';
import { ZeusStub } from '../../thirdparty/zeus/stub/zeus-stub';
import { Client as ZeusThriftClient } from '../../thrift/gen-nodejs/Zeus';
import { RequestMeta, Verdict, ZeusServerException, ZeusUserException } from '../../thrift/gen-nodejs/zeus_types';
import { thriftClient, type ConnectedClient } from '../helpers/thrift-client';
import { within } from '../helpers/wait';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * The risk rules as issue 6 defines them, written out independently of the
 * risk domain's code: the fixtures are checked against the definitions.
 */
function flagsByDefinition(orders: readonly ZeusOrder[]): Map<string, FixtureRule[]> {
  const flags = new Map<string, FixtureRule[]>();
  orders.forEach((order, index) => {
    const rules: FixtureRule[] = [];
    const t = order.created_at.getTime();
    const samePhoneInWindow = orders
      .slice(0, index + 1)
      .filter((o) => o.phone === order.phone && t - o.created_at.getTime() <= 10 * MINUTE);
    if (samePhoneInWindow.length >= 3) rules.push('phone_burst');
    if (t - order.user_registered_at.getTime() < 7 * DAY && order.amount_cents >= 50_000)
      rules.push('new_user_large_amount');
    if (order.refund_count >= 3) rules.push('high_refund_count');
    flags.set(order.id, rules);
  });
  return flags;
}

describe('the fixtures', () => {
  it('when the risk rules are applied as defined, then they flag exactly what EXPECTED_FLAGS says', () => {
    const computed = flagsByDefinition(FIXTURE_ORDERS);

    expect(Object.keys(EXPECTED_FLAGS).sort()).toEqual(FIXTURE_ORDERS.map((o) => o.id).sort());
    for (const order of FIXTURE_ORDERS) {
      expect({ id: order.id, rules: [...(computed.get(order.id) ?? [])].sort() }).toEqual({
        id: order.id,
        rules: [...(EXPECTED_FLAGS[order.id] ?? [])].sort(),
      });
    }
    expect(FLAGGED_FIXTURE_IDS.length).toBeGreaterThanOrEqual(5);
    expect(FIXTURE_ORDERS.length).toBeGreaterThanOrEqual(20);
  });

  it('when thresholds are compared strictly or not, then no fixture sits exactly on an ambiguous boundary', () => {
    for (const a of FIXTURE_ORDERS) {
      expect(a.created_at.getTime() - a.user_registered_at.getTime()).not.toBe(7 * DAY);
      for (const b of FIXTURE_ORDERS) {
        if (a.phone === b.phone)
          expect(Math.abs(a.created_at.getTime() - b.created_at.getTime())).not.toBe(10 * MINUTE);
      }
    }
  });

  it('when looking for the near-misses, then each is there and unflagged', () => {
    const unflagged = FIXTURE_ORDERS.filter((o) => EXPECTED_FLAGS[o.id]?.length === 0);
    const age = (o: ZeusOrder): number => (o.created_at.getTime() - o.user_registered_at.getTime()) / DAY;

    expect(unflagged.some((o) => age(o) === 6 && o.amount_cents === 49_999)).toBe(true);
    expect(unflagged.some((o) => age(o) === 8 && o.amount_cents === 60_000)).toBe(true);
    expect(unflagged.some((o) => o.refund_count === 2)).toBe(true);
    const phoneB = unflagged.filter((o) => o.phone === '13800000002');
    expect(phoneB.length).toBeGreaterThanOrEqual(2);
  });

  it('when sorted, then orders go by creation time and then by id as an integer', () => {
    const sameTime = FIXTURE_ORDERS.filter((o) => o.created_at.getTime() === Date.parse('2026-11-01T10:00:00Z'));

    expect(sameTime).toHaveLength(2);
    expect(BigInt(sameTime[0]?.id ?? 0) < BigInt(sameTime[1]?.id ?? 0)).toBe(true);
    expect(FIXTURE_ORDERS[FIXTURE_ORDERS.length - 1]?.id).toBe(MAX_I64_ID);
  });
});

describe('the stub zeus, called by the bare thrift client', () => {
  let stub: ZeusStub;
  let zeus: ConnectedClient<ZeusThriftClient>;
  const meta = new RequestMeta({ request_id: 'stub-e2e-1', caller: 'stub-test' });

  beforeAll(async () => {
    stub = new ZeusStub();
    await stub.start();
    zeus = await thriftClient(ZeusThriftClient, stub.port);
  });

  afterAll(async () => {
    zeus.close();
    await stub.stop();
  });

  beforeEach(() => {
    stub.recover();
    stub.clearRecords();
  });

  it('when a page is listed, then it holds the oldest orders with exact i64 ids and the id of its last as the cursor', async () => {
    const page = await within(zeus.client.list_orders_since(meta, '', 3), 5000, 'list_orders_since');

    expect(page.orders.map((o) => i64ToDecimal(o.id, true))).toEqual(FIXTURE_ORDERS.slice(0, 3).map((o) => o.id));
    expect(page.next_cursor).toBe(FIXTURE_ORDERS[2]?.id);
    expect(stub.calls).toEqual([
      expect.objectContaining({ method: 'list_orders_since', request_id: 'stub-e2e-1', caller: 'stub-test' }),
    ]);
  });

  it('when the cursor is at the end, then the page is empty and the cursor is unchanged', async () => {
    const page = await within(zeus.client.list_orders_since(meta, MAX_I64_ID, 10), 5000, 'list_orders_since');

    expect(page.orders).toEqual([]);
    expect(page.next_cursor).toBe(MAX_I64_ID);
  });

  it('when the cursor or the limit is wrong, then zeus answers ZeusUserException 400', async () => {
    await expect(zeus.client.list_orders_since(meta, '42', 10)).rejects.toMatchObject({ code: 400 });
    await expect(zeus.client.list_orders_since(meta, '', 0)).rejects.toBeInstanceOf(ZeusUserException);
  });

  it('when an unknown order is read, then zeus answers ZeusUserException 404', async () => {
    await expect(
      zeus.client.get_order(meta, idToInt64('77') as NonNullable<ReturnType<typeof idToInt64>>),
    ).rejects.toMatchObject({
      code: 404,
      message: 'Order 77 does not exist.',
    });
  });

  it('when a verdict is reported, then the stub records it', async () => {
    const id = idToInt64(MAX_I64_ID) as NonNullable<ReturnType<typeof idToInt64>>;

    await within(zeus.client.report_suspicious(meta, id, Verdict.LEGIT, 'checked by phone'), 5000, 'report_suspicious');

    expect(stub.reports).toEqual([
      { order_id: MAX_I64_ID, verdict: 'legit', reason: 'checked by phone', request_id: 'stub-e2e-1' },
    ]);
  });

  it('when told to fail, then it answers ZeusServerException for that many calls, then normally', async () => {
    stub.failCalls({ times: 2, method: 'list_orders_since' });

    await expect(zeus.client.list_orders_since(meta, '', 1)).rejects.toBeInstanceOf(ZeusServerException);
    await expect(zeus.client.list_orders_since(meta, '', 1)).rejects.toMatchObject({ code: 503 });
    await expect(zeus.client.list_orders_since(meta, '', 1)).resolves.toMatchObject({
      next_cursor: FIXTURE_ORDERS[0]?.id,
    });
    expect(stub.calls.map((c) => c.fault)).toEqual(['fail', 'fail', undefined]);
  });

  it('when latency is set, then answers come that much later', async () => {
    stub.setLatency(200);
    const started = performance.now();

    await within(zeus.client.list_orders_since(meta, '', 1), 5000, 'list_orders_since');

    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('when orders are added, then they come after the cursor; an order older than the last is refused', async () => {
    const arrived = newOrder();
    stub.addOrders([arrived]);

    const page = await within(zeus.client.list_orders_since(meta, MAX_I64_ID, 10), 5000, 'list_orders_since');

    expect(page.orders.map((o) => i64ToDecimal(o.id, true))).toEqual([arrived.id]);
    expect(() => stub.addOrders([newOrder({ created_at: new Date('2026-11-01T09:00:00Z') })])).toThrow(
      /newer than every order/,
    );
    expect(() => stub.addOrders([arrived])).toThrow(/already in the stub/);
  });
});

describe('the stub zeus going away', () => {
  it('when it goes away, then connections are refused, and it comes back on the same port', async () => {
    const stub = new ZeusStub();
    const port = await stub.start();
    const refused = (): Promise<string> =>
      new Promise((resolve) => {
        const socket = net.connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
    try {
      await stub.goAway();
      expect(await refused()).toBe('ECONNREFUSED');

      await stub.comeBack();
      expect(stub.port).toBe(port);
      const zeus = await thriftClient(ZeusThriftClient, port);
      try {
        const page = await within(
          zeus.client.list_orders_since(new RequestMeta({ request_id: 'r', caller: 'c' }), '', 1),
          5000,
          'list',
        );
        expect(page.orders).toHaveLength(1);
      } finally {
        zeus.close();
      }
    } finally {
      await stub.stop();
    }
  });
});
