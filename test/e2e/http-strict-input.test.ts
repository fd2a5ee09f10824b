import type { CsEvent } from '../../src/service/cs/cs-types';
import type { Client as TandemClient } from '../../thrift/gen-nodejs/Tandem';
import {
  CreateCsEventRequest,
  type CsEvent as IdlEvent,
  CsSource,
  CsUserType,
} from '../../thrift/gen-nodejs/tandem_types';
import { appWithOwnData, eventBody, select } from '../helpers/cs';
import { call, type LoggedIn, loginAs } from '../helpers/staff';
import { type ConnectedClient, tandemClient } from '../helpers/thrift-client';
import { within } from '../helpers/wait';

/**
 * Ids in paths and queries are decimal digits within range, nothing a
 * number parser would also take; and a request key belongs to whoever sent
 * it, over HTTP (the staff member) and over Thrift (the calling service).
 */

const app = appWithOwnData();
let agent: LoggedIn;
let colleague: LoggedIn;
let reviewer: LoggedIn;
let eventId: number;

beforeAll(async () => {
  agent = await loginAs(app(), ['cs_agent']);
  colleague = await loginAs(app(), ['cs_agent']);
  reviewer = await loginAs(app(), ['risk_reviewer']);
  const created = await call<CsEvent>(app(), 'POST', '/api/cs/events', agent, eventBody());
  eventId = created.body.data.id;
});

describe('ids in the path and the query', () => {
  it.each([
    ['1e3', 'an exponent'],
    ['0x10', 'hex'],
    ['%201', 'a leading space'],
    ['007', 'leading zeros'],
    ['-1', 'a sign'],
    ['1.0', 'a decimal point'],
    ['9007199254740992', '2^53'],
    ['18446744073709551616', '2^64'],
  ])('when an event id is %s (%s), then 400 naming params.id', async (raw) => {
    const res = await call(app(), 'GET', `/api/cs/events/${raw}`, agent);

    expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 1001 });
    expect(res.body.msg).toContain('params.id');
  });

  it('when an event id is plain digits, then it is read', async () => {
    const res = await call<CsEvent>(app(), 'GET', `/api/cs/events/${eventId}`, agent);

    expect(res.status).toBe(200);
    expect(res.body.data.id).toBe(eventId);
  });

  it.each(['18446744073709551616', '99999999999999999999', '1e3', '0'])(
    'when an order id is %s, then 400 naming params.order_id',
    async (raw) => {
      const res = await call(app(), 'GET', `/api/risk/orders/${raw}`, reviewer);

      expect({ status: res.status, code: res.body.code }).toEqual({ status: 400, code: 1001 });
      expect(res.body.msg).toContain('params.order_id');
    },
  );

  it('when an order id is 2^64 - 1, then it is read (and not found: 404)', async () => {
    const res = await call(app(), 'GET', '/api/risk/orders/18446744073709551615', reviewer);

    expect(res.status).toBe(404);
  });

  it.each([
    ['page=1e1', 'query.page'],
    ['page_size=0x10', 'query.page_size'],
    ['category_id=%201', 'query.category_id'],
    ['handler=1e2', 'query.handler'],
    ['priority=+1', 'query.priority'],
  ])('when the list query has %s, then 400 naming %s', async (query, field) => {
    const res = await call(app(), 'GET', `/api/cs/events?${query}`, agent);

    expect(res.status).toBe(400);
    expect(res.body.msg).toContain(field);
  });
});

describe('request_key belongs to its sender', () => {
  function create(who: LoggedIn, key: string, content: string) {
    return call<CsEvent>(app(), 'POST', '/api/cs/events', who, eventBody({ request_key: key, content }));
  }

  it("when another agent sends an agent's request key, then a new event is made for them, and the first agent's repeat still returns the first event", async () => {
    const first = await create(agent, 'shared-key-1', 'from the agent');

    const other = await create(colleague, 'shared-key-1', 'from the colleague');
    const repeat = await create(agent, 'shared-key-1', 'from the agent');

    expect([first.status, other.status, repeat.status]).toEqual([201, 201, 201]);
    expect(other.body.data.id).not.toBe(first.body.data.id);
    expect(other.body.data.content).toBe('from the colleague');
    expect(other.body.data.creator_id).toBe(colleague.id);
    expect(repeat.body.data).toEqual(first.body.data);
    const rows = await select<{ id: string }>(app(), 'SELECT id FROM cs_event WHERE request_key = :key', {
      key: 'shared-key-1',
    });
    expect(rows).toHaveLength(2);
  });

  describe('over Thrift', () => {
    const clients: ConnectedClient<TandemClient>[] = [];

    afterAll(() => {
      for (const c of clients) c.close();
    });

    async function service(name: string): Promise<ConnectedClient<TandemClient>> {
      const c = await tandemClient(app().thrift.port);
      clients.push(c);
      await within(c.client.hello(name), 5000, 'hello');
      return c;
    }

    function createOver(c: ConnectedClient<TandemClient>, key: string, content: string): Promise<IdlEvent> {
      const request = new CreateCsEventRequest({
        user_type: CsUserType.USER,
        source: CsSource.ONLINE_CS,
        content,
        request_key: key,
      });
      return within(c.client.create_cs_event(request), 5000, 'create_cs_event');
    }

    const idOf = (e: IdlEvent): number => e.id.toNumber();

    it('when two services send one request key, then each gets its own event; a repeat on a new connection of the same service gets its first', async () => {
      const orders = await service('order-service');
      const refunds = await service('refund-service');

      const a = await createOver(orders, 'thrift-key-1', 'from orders');
      const b = await createOver(refunds, 'thrift-key-1', 'from refunds');
      const again = await createOver(await service('order-service'), 'thrift-key-1', 'from orders');

      expect(idOf(b)).not.toBe(idOf(a));
      expect(b.content).toBe('from refunds');
      expect(idOf(again)).toBe(idOf(a));
      expect(again.content).toBe('from orders');
    });

    it('when a staff member and a service send one request key, then they are two events', async () => {
      const overHttp = await create(agent, 'mixed-key-1', 'from the agent');
      const overThrift = await createOver(await service('order-service'), 'mixed-key-1', 'from orders');

      expect(idOf(overThrift)).not.toBe(overHttp.body.data.id);
    });
  });
});
