import Int64 from 'node-int64';
import type { CategoryNodeOut } from '../../src/service/cs/cs-schemas';
import type { RunningApp } from '../../src/core/app/app';
import type { CsEvent, CsEventRecord } from '../../src/service/cs/cs-types';
import type { Client as TandemClient } from '../../thrift/gen-nodejs/Tandem';
import {
  CreateCsEventRequest,
  CsEventsByUserRequest,
  type CsEvent as IdlEvent,
  CsSource,
  CsStatus,
  CsUserType,
  UserException,
} from '../../thrift/gen-nodejs/tandem_types';
import { startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { call, type LoggedIn, loginAs } from '../helpers/staff';
import { type ConnectedClient, tandemClient } from '../helpers/thrift-client';
import { within } from '../helpers/wait';

const MAX_U64 = 18446744073709551615n;

let app: RunningApp;
let db: { database: string; drop: () => Promise<void> };
let logs: LogCapture;
let thrift: ConnectedClient<TandemClient>;
let agent: LoggedIn;
let colleague: LoggedIn;
let categoryId: number;

beforeAll(async () => {
  db = await freshDatabase();
  app = await startTestApp({
    mysql: { database: db.database },
    redis: { key_prefix: freshRedisPrefix() },
    log: { level: 'info', access: true },
  });
  logs = captureLogs();
  thrift = await tandemClient(app.thrift.port);
  agent = await loginAs(app, ['cs_agent']);
  colleague = await loginAs(app, ['cs_agent']);
  const admin = await loginAs(app, ['cs_admin']);
  const tree = await call<CategoryNodeOut[]>(app, 'PUT', '/api/cs/categories', admin, { nodes: [{ name: 'Refunds' }] });
  categoryId = tree.body.data.find((n) => n.name === 'Refunds')?.id ?? 0;
});

afterAll(async () => {
  thrift.close();
  await app.stop();
  await db.drop();
});

/** An i64 as the unsigned 64-bit integer it carries, exact. */
function u64(value: Int64 | undefined): bigint | undefined {
  return value === undefined || value === null
    ? undefined
    : BigInt.asUintN(64, value.buffer.readBigInt64BE(value.offset));
}

/** An i64 that must fit a JS number (ids), as a number. */
function n(value: Int64 | undefined): number | undefined {
  return value === undefined || value === null ? undefined : value.toNumber(false);
}

function i64(value: bigint): Int64 {
  return new Int64(BigInt.asUintN(64, value).toString(16).padStart(16, '0'));
}

/** What a call rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await within(promise, 5000, 'the Thrift call');
  } catch (err) {
    return err;
  }
  throw new Error('the call succeeded where an exception was expected');
}

function createRequest(
  over: Partial<ConstructorParameters<typeof CreateCsEventRequest>[0]> = {},
): CreateCsEventRequest {
  return new CreateCsEventRequest({
    user_type: CsUserType.USER,
    source: CsSource.ONLINE_CS,
    content: 'opened by the order service',
    ...over,
  });
}

describe('one event, two front doors', () => {
  it('when an event is created over HTTP, then get_cs_event over Thrift returns the same fields, the order id exact beyond 2^53', async () => {
    const created = await call<CsEvent>(app, 'POST', '/api/cs/events', agent, {
      user_id: 880001,
      user_type: 'merchant',
      phone: '555-0177',
      order_id: MAX_U64.toString(),
      source: 'wechat',
      category_id: categoryId,
      priority: 2,
      compensation: 12.34,
      content: 'refund disputed by the merchant',
      handler_id: colleague.id,
    });
    expect(created.status).toBe(201);
    const http = created.body.data;

    const idl: IdlEvent = await within(thrift.client.get_cs_event(new Int64(http.id)), 5000, 'get_cs_event');

    expect(n(idl.id)).toBe(http.id);
    expect(n(idl.user_id)).toBe(880001);
    expect(idl.user_type).toBe(CsUserType.MERCHANT);
    expect(idl.phone).toBe('555-0177');
    expect(http.order_id).toBe('18446744073709551615');
    expect(u64(idl.order_id)).toBe(MAX_U64);
    expect(u64(idl.order_id)?.toString()).toBe(http.order_id);
    expect(idl.source).toBe(CsSource.WECHAT);
    expect(n(idl.category_id)).toBe(categoryId);
    expect(idl.priority).toBe(2);
    expect(idl.status).toBe(CsStatus.PENDING);
    expect(n(idl.creator_id)).toBe(agent.id);
    expect(n(idl.handler_id)).toBe(colleague.id);
    expect(idl.compensation).toBe(12.34);
    expect(idl.content).toBe('refund disputed by the merchant');
    expect(idl.created_at).toBe(http.created_at);
    expect(idl.updated_at).toBe(http.updated_at);
  });

  it('when an event is moved over HTTP, then Thrift reads the new status (the cache was refreshed)', async () => {
    const created = await call<CsEvent>(app, 'POST', '/api/cs/events', agent, {
      user_type: 'user',
      source: 'phone',
      content: 'moved later',
    });
    await within(thrift.client.get_cs_event(new Int64(created.body.data.id)), 5000, 'get_cs_event');

    await call(app, 'POST', `/api/cs/events/${created.body.data.id}/transition`, agent, { to: 'follow_up' });
    const idl = await within(thrift.client.get_cs_event(new Int64(created.body.data.id)), 5000, 'get_cs_event');

    expect(idl.status).toBe(CsStatus.FOLLOW_UP);
  });

  it('when an event is created over Thrift, then HTTP reads it with the same fields and its first record names the creator', async () => {
    const idl = await within(
      thrift.client.create_cs_event(
        createRequest({
          user_id: new Int64(880002),
          phone: '555-0188',
          order_id: i64(9007199254740993n),
          priority: 1,
          compensation: 5,
          creator_id: new Int64(agent.id),
          category_id: new Int64(categoryId),
        }),
      ),
      5000,
      'create_cs_event',
    );

    const http = await call<CsEvent>(app, 'GET', `/api/cs/events/${n(idl.id)}`, agent);

    expect(http.status).toBe(200);
    expect(http.body.data).toEqual({
      id: n(idl.id),
      user_id: 880002,
      user_type: 'user',
      phone: '555-0188',
      order_id: '9007199254740993',
      source: 'online_cs',
      category_id: categoryId,
      priority: 1,
      status: 'pending',
      creator_id: agent.id,
      handler_id: agent.id,
      compensation: 5,
      content: 'opened by the order service',
      created_at: idl.created_at,
      updated_at: idl.updated_at,
    });
    const records = await call<CsEventRecord[]>(app, 'GET', `/api/cs/events/${n(idl.id)}/records`, agent);
    expect(records.body.data.map((r) => [r.action, r.actor_id, r.to_status])).toEqual([
      ['create', agent.id, 'pending'],
    ]);
  });

  it('when an order id with all 64 bits set is sent over Thrift, then HTTP reads 18446744073709551615 and Thrift reads the same bits back', async () => {
    const idl = await within(
      thrift.client.create_cs_event(createRequest({ order_id: i64(MAX_U64) })),
      5000,
      'create_cs_event',
    );

    const http = await call<CsEvent>(app, 'GET', `/api/cs/events/${n(idl.id)}`, agent);

    expect(http.body.data.order_id).toBe('18446744073709551615');
    expect(u64(idl.order_id)).toBe(MAX_U64);
  });

  it('when create_cs_event is retried with one request_key, then the retry returns the first event, the key with another request is UserException 1107, and one row exists', async () => {
    const first = await within(
      thrift.client.create_cs_event(createRequest({ request_key: 'order-77-refund' })),
      5000,
      'create_cs_event',
    );
    const retry = await within(
      thrift.client.create_cs_event(createRequest({ request_key: 'order-77-refund' })),
      5000,
      'create_cs_event',
    );
    const other = await rejection(
      thrift.client.create_cs_event(createRequest({ request_key: 'order-77-refund', content: 'another request' })),
    );

    expect(n(retry.id)).toBe(n(first.id));
    expect(other).toBeInstanceOf(UserException);
    expect({ code: (other as UserException).code, message: (other as UserException).message }).toEqual({
      code: 1107,
      message: 'Request key order-77-refund was already used for a different request.',
    });
    const rows = await app.resources.sequelize.query("SELECT id FROM cs_event WHERE request_key = 'order-77-refund'", {
      type: 'SELECT' as never,
    });
    expect(rows).toHaveLength(1);
  });

  it('when a sibling creates an event without a creator, then the system (0) creates and handles it', async () => {
    const idl = await within(thrift.client.create_cs_event(createRequest()), 5000, 'create_cs_event');

    expect(n(idl.creator_id)).toBe(0);
    expect(n(idl.handler_id)).toBe(0);
  });
});

describe('list_cs_events_by_user', () => {
  it('when a user has three events, then pages of two give two then one, newest update first, with the total', async () => {
    const ids: number[] = [];
    for (const content of ['first', 'second', 'third']) {
      const idl = await within(
        thrift.client.create_cs_event(createRequest({ user_id: new Int64(880003), content })),
        5000,
        'create',
      );
      ids.push(n(idl.id) as number);
    }
    await within(thrift.client.create_cs_event(createRequest({ user_id: new Int64(880004) })), 5000, 'another user');

    const page1 = await within(thrift.client.list_cs_events_by_user(new Int64(880003), 1, 2), 5000, 'page 1');
    const page2 = await within(thrift.client.list_cs_events_by_user(new Int64(880003), 2, 2), 5000, 'page 2');
    const page3 = await within(thrift.client.list_cs_events_by_user(new Int64(880003), 3, 2), 5000, 'page 3');

    expect([page1.total, page1.page, page1.page_size]).toEqual([3, 1, 2]);
    expect(page1.items.map((e) => n(e.id))).toEqual([ids[2], ids[1]]);
    expect(page2.items.map((e) => n(e.id))).toEqual([ids[0]]);
    expect(page3.items).toEqual([]);
    expect(page3.total).toBe(3);
    expect(page1.items.every((e) => n(e.user_id) === 880003)).toBe(true);
  });

  it('when the pages are read by cursor, then each next_cursor gives the next page and the last has none', async () => {
    const user = new Int64(880005);
    const ids: number[] = [];
    for (const content of ['a', 'b', 'c']) {
      const idl = await within(
        thrift.client.create_cs_event(createRequest({ user_id: user, content })),
        5000,
        'create',
      );
      ids.push(n(idl.id) as number);
    }
    const first = await within(
      thrift.client.list_cs_events_by_user_cursor(new CsEventsByUserRequest({ user_id: user, page_size: 2 })),
      5000,
      'first page',
    );
    expect(first.items.map((e) => n(e.id))).toEqual([ids[2], ids[1]]);
    expect([first.total, first.total_is_exact]).toEqual([3, true]);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await within(
      thrift.client.list_cs_events_by_user_cursor(
        new CsEventsByUserRequest({ user_id: user, page_size: 2, cursor: first.next_cursor }),
      ),
      5000,
      'second page',
    );
    expect(second.items.map((e) => n(e.id))).toEqual([ids[0]]);
    expect(second.next_cursor).toBeNull();
    // The page-numbered method's pages carry a cursor too, for the same list.
    const numbered = await within(thrift.client.list_cs_events_by_user(user, 1, 2), 5000, 'numbered');
    expect(numbered.next_cursor).toBe(first.next_cursor);

    const err = await rejection(
      thrift.client.list_cs_events_by_user_cursor(
        new CsEventsByUserRequest({ user_id: new Int64(880003), page_size: 2, cursor: first.next_cursor }),
      ),
    );
    expect(err).toBeInstanceOf(UserException);
    expect((err as UserException).code).toBe(1001);
    expect((err as UserException).message).toMatch(/cursor/);
  });

  it.each([
    [0, 10],
    [1, 0],
    [1, 1001],
  ])('when page %i and page_size %i are asked for, then UserException 1001 names the field', async (page, size) => {
    const err = await rejection(thrift.client.list_cs_events_by_user(new Int64(880003), page, size));

    expect(err).toBeInstanceOf(UserException);
    expect((err as UserException).code).toBe(1001);
    expect((err as UserException).message).toMatch(/page/);
  });
});

describe('Thrift errors', () => {
  it('when get_cs_event asks for a missing id, then UserException 1100 naming the id', async () => {
    const err = await rejection(thrift.client.get_cs_event(new Int64(987654321)));

    expect(err).toBeInstanceOf(UserException);
    expect((err as UserException).code).toBe(1100);
    expect((err as UserException).message).toContain('987654321');
  });

  it.each([-1, 0])(
    'when get_cs_event gets the id %i, then UserException 1001 naming id, as HTTP answers 400 (1001) for it',
    async (id) => {
      const err = await rejection(thrift.client.get_cs_event(new Int64(id)));
      const http = await call(app, 'GET', `/api/cs/events/${id}`, agent);

      expect(err).toBeInstanceOf(UserException);
      expect({ code: (err as UserException).code, message: (err as UserException).message }).toEqual({
        code: 1001,
        message: 'Some fields are invalid: id (expected a positive id).',
      });
      expect({ status: http.status, code: http.body.code }).toEqual({ status: 400, code: 1001 });
    },
  );

  it('when list_cs_events_by_user gets the user id -1, then UserException 1001 naming user_id', async () => {
    const err = await rejection(thrift.client.list_cs_events_by_user(new Int64(-1), 1, 10));

    expect((err as UserException).code).toBe(1001);
    expect((err as UserException).message).toContain('user_id');
  });

  it('when get_cs_event gets an id beyond 2^53, then UserException 1005', async () => {
    const err = await rejection(thrift.client.get_cs_event(i64(9007199254740993n)));

    expect(err).toBeInstanceOf(UserException);
    expect((err as UserException).code).toBe(1005);
  });

  it('when create_cs_event has an unknown enum value, then UserException 1001 naming the field', async () => {
    const err = await rejection(thrift.client.create_cs_event(createRequest({ source: 99 as CsSource })));

    expect((err as UserException).code).toBe(1001);
    expect((err as UserException).message).toContain('request.source');
  });

  it('when create_cs_event breaks the HTTP body rules, then UserException 1001 naming each field', async () => {
    const err = await rejection(
      thrift.client.create_cs_event(
        createRequest({ content: '   ', priority: 7, phone: 'call me', handler_id: new Int64(0) }),
      ),
    );

    expect(err).toBeInstanceOf(UserException);
    expect((err as UserException).code).toBe(1001);
    for (const field of ['request.content', 'request.priority', 'request.phone', 'request.handler_id']) {
      expect((err as UserException).message).toContain(field);
    }
  });

  it('when the connection still works after an exception, then the next call is answered', async () => {
    await rejection(thrift.client.get_cs_event(new Int64(987654322)));

    expect(await within(thrift.client.ping(), 5000, 'ping')).toBe('pong');
  });
});

describe('the caller of a connection', () => {
  it("when a sibling says hello('order-service') and calls, then the access line names the caller 'order-service'", async () => {
    const order = await tandemClient(app.thrift.port, { framed: false, compact: true });
    try {
      const created = await within(order.client.create_cs_event(createRequest()), 5000, 'create');
      const before = logs.lines.length;
      await within(order.client.hello('order-service'), 5000, 'hello');

      await within(order.client.get_cs_event(created.id), 5000, 'get_cs_event');

      const line = await logs.find(
        (l) => logs.lines.indexOf(l) >= before && l.message === 'thrift access' && l.method === 'get_cs_event',
      );
      expect(line).toMatchObject({ caller: 'order-service', outcome: 'ok' });
      expect(typeof line.request_id).toBe('string');
    } finally {
      order.close();
    }
  });
});
