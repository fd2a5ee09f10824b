import type Int64 from 'node-int64';
import { QueryTypes } from 'sequelize';
import type { FlaggedOrder } from '../../src/service/risk/risk-types';
import { decimalToI64, i64ToDecimal } from '../../src/core/rpc';
import { EXPECTED_FLAGS, FIXTURE_ORDERS, FLAGGED_FIXTURE_IDS } from '../../thirdparty/zeus/stub/fixtures';
import type { Client as TandemClient } from '../../thrift/gen-nodejs/Tandem';
import { RiskStatus, UserException } from '../../thrift/gen-nodejs/tandem_types';
import { riskHarness, type RiskHarness } from '../helpers/risk';
import { call, type LoggedIn, loginAs } from '../helpers/staff';
import { type ConnectedClient, tandemClient } from '../helpers/thrift-client';
import { within } from '../helpers/wait';

/**
 * Reviewers over HTTP and siblings over Thrift, on orders a real scan of the
 * stub zeus flagged. The report queue has no worker here: a fraud verdict's
 * report job stays waiting, where the test finds it.
 */
interface Page {
  items: FlaggedOrder[];
  total: number;
  page: number;
  page_size: number;
}

interface StoredEvent {
  id: string;
  order_id: string | null;
  category_id: string | null;
  request_key: string | null;
  creator_id: string;
  status: string;
  content: string;
}

const harness = riskHarness();
let reviewer: LoggedIn;
let admin: LoggedIn;
let agent: LoggedIn;
let thrift: ConnectedClient<TandemClient>;

/** The flagged fixture ids, in the order the list serves them: newest flag first, then the larger id (one scan flags all at once). */
const listed = [...FLAGGED_FIXTURE_IDS].sort((a, b) => (BigInt(b) > BigInt(a) ? 1 : -1));
const withRule = (rule: string): string[] => listed.filter((id) => EXPECTED_FLAGS[id]?.includes(rule as never));

/** Flagged fixture orders handed out one per test, so that each test judges its own. */
const unjudged = [...FLAGGED_FIXTURE_IDS];
function takeOrder(): string {
  const id = unjudged.shift();
  if (!id) throw new Error('the tests used up the flagged fixture orders');
  return id;
}

beforeAll(async () => {
  const h = harness();
  await within(h.domains.risk.scan.run(), 15_000, 'the scan of the fixtures');
  reviewer = await loginAs(h.app, ['risk_reviewer']);
  admin = await loginAs(h.app, ['admin']);
  agent = await loginAs(h.app, ['cs_agent']);
  thrift = await tandemClient(h.app.thrift.port);
});

afterAll(() => {
  thrift.close();
});

function eventsWithKey(h: RiskHarness, key: string): Promise<StoredEvent[]> {
  return h.app.resources.sequelize.query<StoredEvent>(
    'SELECT id, order_id, category_id, request_key, creator_id, status, content FROM cs_event WHERE request_key = :key',
    { type: QueryTypes.SELECT, replacements: { key }, useMaster: true },
  );
}

async function fraudCategoryId(h: RiskHarness): Promise<number | undefined> {
  const rows = await h.app.resources.sequelize.query<{ id: string }>(
    "SELECT id FROM cs_event_category WHERE parent_id = 0 AND name = 'fraud' AND deleted_id = 0",
    { type: QueryTypes.SELECT, useMaster: true },
  );
  return rows[0] ? Number(rows[0].id) : undefined;
}

function reportJob(h: RiskHarness, orderId: string) {
  return h.domains.queues.queue(h.domains.risk.reportQueue.name).getJob(`risk-report:${orderId}`);
}

function review(orderId: string, who: LoggedIn, body: unknown) {
  return call<FlaggedOrder>(harness().app, 'POST', `/api/risk/orders/${orderId}/review`, who, body);
}

describe('GET /api/risk/orders', () => {
  it('when a reviewer lists without filters, then every flagged order comes, newest flag first', async () => {
    const res = await call<Page>(harness().app, 'GET', '/api/risk/orders', reviewer);

    expect(res.status).toBe(200);
    expect(res.body.code).toBe(0);
    expect(res.body.data).toMatchObject({ total: FLAGGED_FIXTURE_IDS.length, page: 1, page_size: 20 });
    expect(res.body.data.items.map((o) => o.order_id)).toEqual(listed);
  });

  it('when a reviewer filters by rule, then only orders that rule flagged come', async () => {
    for (const rule of ['phone_burst', 'new_user_large_amount', 'high_refund_count']) {
      const res = await call<Page>(harness().app, 'GET', `/api/risk/orders?rule=${rule}`, reviewer);

      expect(res.status).toBe(200);
      expect(res.body.data.items.map((o) => o.order_id)).toEqual(withRule(rule));
      expect(res.body.data.total).toBe(withRule(rule).length);
      for (const item of res.body.data.items) expect(item.rules).toContain(rule);
    }
  });

  it('when a reviewer pages through, then the pages join into the whole list with nothing twice', async () => {
    const seen: string[] = [];
    for (let page = 1; page <= 5; page += 1) {
      const res = await call<Page>(harness().app, 'GET', `/api/risk/orders?page=${page}&page_size=2`, reviewer);
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ total: listed.length, page, page_size: 2 });
      expect(res.body.data.items.length).toBe(Math.max(0, Math.min(2, listed.length - (page - 1) * 2)));
      seen.push(...res.body.data.items.map((o) => o.order_id));
    }

    expect(seen).toEqual(listed);
  });

  it('when the filter names an unknown rule or status, then 400 names the field', async () => {
    const res = await call(harness().app, 'GET', '/api/risk/orders?rule=big_spender&status=maybe', reviewer);

    expect(res.status).toBe(400);
    expect(res.body.code).toBe(1001);
    expect(res.body.msg).toMatch(/rule/);
    expect(res.body.msg).toMatch(/status/);
  });

  it('when an agent without risk.review lists, then 403; without a session, 401', async () => {
    const forbidden = await call(harness().app, 'GET', '/api/risk/orders', agent);
    const anonymous = await call(harness().app, 'GET', '/api/risk/orders');

    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({ code: 950, data: null });
    expect(anonymous.status).toBe(401);
  });
});

describe('GET /api/risk/orders/:order_id', () => {
  it('when a reviewer reads a flagged order, then its evidence and order come with the exact 64-bit id', async () => {
    const h = harness();
    const id = FLAGGED_FIXTURE_IDS[0] ?? '';

    const res = await call<FlaggedOrder>(h.app, 'GET', `/api/risk/orders/${id}`, reviewer);

    expect(res.status).toBe(200);
    expect(res.body.data).toEqual(await h.domains.risk.store.get(id));
    expect(res.body.data.order_id).toBe(id);
    expect(BigInt(id)).toBeGreaterThan(BigInt(Number.MAX_SAFE_INTEGER));
    expect(res.body.data.rules).toEqual([...(EXPECTED_FLAGS[id] ?? [])]);
  });

  it('when the order was never flagged, then 404 with code 1200', async () => {
    const unflagged = FIXTURE_ORDERS.find((o) => (EXPECTED_FLAGS[o.id]?.length ?? 0) === 0)?.id ?? '';

    const res = await call(harness().app, 'GET', `/api/risk/orders/${unflagged}`, reviewer);

    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 1200, data: null });
  });

  it('when the id is not digits, then 400', async () => {
    const res = await call(harness().app, 'GET', '/api/risk/orders/12ab', reviewer);

    expect(res.status).toBe(400);
  });

  it('when an agent without risk.review reads one, then 403', async () => {
    const res = await call(harness().app, 'GET', `/api/risk/orders/${FLAGGED_FIXTURE_IDS[0] ?? ''}`, agent);

    expect(res.status).toBe(403);
  });
});

describe('POST /api/risk/orders/:order_id/review', () => {
  it('when a reviewer judges fraud, then 200, the order is fraud, a fraud cs event for it exists and its report is queued', async () => {
    const h = harness();
    const id = takeOrder();

    const res = await review(id, reviewer, { verdict: 'fraud', note: 'same card on five phones' });

    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      order_id: id,
      status: 'fraud',
      reviewer_id: reviewer.id,
      note: 'same card on five phones',
      report_status: 'pending',
    });
    // Stored in UTC: a time zone slip would put it hours away (a bound on correctness, not on speed).
    expect(Math.abs(Date.parse(res.body.data.reviewed_at ?? '') - Date.now())).toBeLessThan(10 * 60_000);
    const events = await eventsWithKey(h, `risk:${id}`);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect(Number(event?.id)).toBe(res.body.data.cs_event_id);
    expect(String(event?.order_id)).toBe(id);
    expect(Number(event?.category_id)).toBe(await fraudCategoryId(h));
    expect(Number(event?.creator_id)).toBe(reviewer.id);
    expect(event?.status).toBe('pending');
    expect(event?.content).toContain('same card on five phones');
    const csEvent = await call<{ id: number; order_id: string }>(
      h.app,
      'GET',
      `/api/cs/events/${event?.id ?? ''}`,
      reviewer,
    );
    expect(csEvent.body.data).toMatchObject({ id: Number(event?.id), order_id: id });
    const job = await reportJob(h, id);
    expect(job?.data).toMatchObject({ payload: { order_id: id, reason: 'same card on five phones' } });
    expect(await h.domains.risk.store.get(id)).toEqual(res.body.data);
  });

  it('when the order is judged again, then 409 with code 1201 and nothing changes', async () => {
    const h = harness();
    const id = takeOrder();
    await review(id, admin, { verdict: 'fraud' });
    const before = await h.domains.risk.store.get(id);

    const again = await review(id, reviewer, { verdict: 'legit', note: 'second thoughts' });
    const twice = await review(id, reviewer, { verdict: 'fraud' });

    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 1201, data: null });
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe(1201);
    expect(await h.domains.risk.store.get(id)).toEqual(before);
    expect(await eventsWithKey(h, `risk:${id}`)).toHaveLength(1);
  });

  it('when two reviewers judge the same order at once, then one wins, the other gets 409, and one event exists', async () => {
    const h = harness();
    const id = takeOrder();

    const results = await Promise.all([
      review(id, reviewer, { verdict: 'fraud', note: 'first' }),
      review(id, admin, { verdict: 'fraud', note: 'second' }),
    ]);

    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const events = await eventsWithKey(h, `risk:${id}`);
    expect(events).toHaveLength(1);
    expect((await h.domains.risk.store.get(id))?.cs_event_id).toBe(Number(events[0]?.id));
  });

  it('when a reviewer judges legit, then 200, no cs event is opened and no report is queued', async () => {
    const h = harness();
    const id = takeOrder();

    const res = await review(id, reviewer, { verdict: 'legit', note: 'regular customer' });

    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      status: 'legit',
      cs_event_id: null,
      report_status: 'none',
      note: 'regular customer',
    });
    expect(await eventsWithKey(h, `risk:${id}`)).toHaveLength(0);
    expect(await reportJob(h, id)).toBeNull();
  });

  it('when the cs event of a fraud verdict cannot be written, then the verdict is rolled back with it: one unit of work', async () => {
    const h = harness();
    const id = takeOrder();
    // An event already holding the verdict's request key, in the risk review's own key scope, makes
    // the event insert fail inside the verdict's transaction.
    const squatter = await h.domains.cs.events.create(
      { id: admin.id, admin: true, keyScope: 'system:risk' },
      {
        user_id: null,
        user_type: 'others',
        phone: '',
        order_id: null,
        source: 'others',
        category_id: null,
        priority: 0,
        compensation: 0,
        content: 'holds the key',
        request_key: `risk:${id}`,
      },
    );

    const res = await review(id, reviewer, { verdict: 'fraud' });

    expect(res.status).toBe(409);
    expect(res.body.code).toBe(1107);
    expect(await h.domains.risk.store.get(id)).toMatchObject({
      status: 'pending',
      reviewed_at: null,
      cs_event_id: null,
      report_status: 'none',
    });
    expect((await eventsWithKey(h, `risk:${id}`)).map((e) => Number(e.id))).toEqual([squatter.id]);
    expect(await reportJob(h, id)).toBeNull();
  });

  it('when the id is written with leading zeros, then 400 naming params.order_id; the plain id is judged, and its report is queued once, even after a scan finishes unfinished verdicts', async () => {
    const h = harness();
    const id = takeOrder();

    const padded = await call<FlaggedOrder>(h.app, 'GET', `/api/risk/orders/00${id}`, reviewer);
    const paddedReview = await review(`00${id}`, reviewer, { verdict: 'fraud', note: 'padded id' });
    const res = await review(id, reviewer, { verdict: 'fraud', note: 'padded id' });
    await within(h.domains.risk.scan.run(), 15_000, 'a scan');

    expect(padded.status).toBe(400);
    expect(padded.body.msg).toContain('params.order_id');
    expect(paddedReview.status).toBe(400);
    expect(res.status).toBe(200);
    expect(res.body.data.order_id).toBe(id);
    expect(await eventsWithKey(h, `risk:${id}`)).toHaveLength(1);
    const queue = h.domains.queues.queue(h.domains.risk.reportQueue.name);
    const jobs = await queue.getJobs(['waiting', 'delayed', 'active', 'failed', 'completed']);
    const reports = jobs.filter((j) => {
      const payload = (j.data as { payload: { order_id: string } }).payload;
      return BigInt(payload.order_id) === BigInt(id);
    });
    expect(reports.map((j) => String(j.id))).toEqual([`risk-report:${id}`]);
    expect(reports[0]?.data).toMatchObject({ payload: { order_id: id, reason: 'padded id' } });
  });

  it('when the order was never flagged, then 404 with code 1200 and no event', async () => {
    const h = harness();
    const unknown = '9007199254740993';

    const res = await review(unknown, reviewer, { verdict: 'fraud' });

    expect(res.status).toBe(404);
    expect(res.body.code).toBe(1200);
    expect(await eventsWithKey(h, `risk:${unknown}`)).toHaveLength(0);
  });

  it('when an agent without risk.review judges, then 403 and the order stays pending', async () => {
    const h = harness();
    const id = unjudged[0] ?? '';

    const res = await review(id, agent, { verdict: 'fraud' });

    expect(res.status).toBe(403);
    expect(res.body.code).toBe(950);
    expect((await h.domains.risk.store.get(id))?.status).toBe('pending');
  });

  it('when the verdict is not fraud or legit, then 400', async () => {
    const res = await review(unjudged[0] ?? '', reviewer, { verdict: 'maybe' });

    expect(res.status).toBe(400);
  });

  it('when a reviewer filters by status, then only orders with that verdict come', async () => {
    const h = harness();
    for (const status of ['pending', 'fraud', 'legit'] as const) {
      const res = await call<Page>(h.app, 'GET', `/api/risk/orders?status=${status}&page_size=100`, reviewer);
      const stored = (await h.domains.risk.store.list({}, { offset: 0, limit: 100 })).filter(
        (o) => o.status === status,
      );

      expect(res.status).toBe(200);
      expect(res.body.data.items.map((o) => o.order_id).sort()).toEqual(stored.map((o) => o.order_id).sort());
      expect(res.body.data.items.length).toBeGreaterThan(0);
    }
    const both = await call<Page>(h.app, 'GET', '/api/risk/orders?status=pending&rule=phone_burst', reviewer);
    expect(both.body.data.items.every((o) => o.status === 'pending' && o.rules.includes('phone_burst'))).toBe(true);
  });
});

describe('Thrift get_risk_verdict', () => {
  const u64 = (value: Int64): string => i64ToDecimal(value);

  it('when a sibling reads a pending order, then PENDING with its rules and no event, the id exact beyond 2^53', async () => {
    const h = harness();
    const pending = (await h.domains.risk.store.list({ status: 'pending' }, { offset: 0, limit: 100 }))[0];
    const id = pending?.order_id ?? '';

    const verdict = await within(thrift.client.get_risk_verdict(decimalToI64(id)), 5000, 'get_risk_verdict');

    expect(u64(verdict.order_id)).toBe(id);
    expect(verdict.status).toBe(RiskStatus.PENDING);
    expect(verdict.rules).toEqual(pending?.rules);
    expect(verdict.cs_event_id ?? null).toBeNull();
    expect(verdict.reviewed_at ?? null).toBeNull();
  });

  it('when a sibling reads a fraud and a legit order, then FRAUD with its cs event id, LEGIT without', async () => {
    const h = harness();
    const fraud = (await h.domains.risk.store.list({ status: 'fraud' }, { offset: 0, limit: 100 }))[0];
    const legit = (await h.domains.risk.store.list({ status: 'legit' }, { offset: 0, limit: 100 }))[0];

    const f = await within(
      thrift.client.get_risk_verdict(decimalToI64(fraud?.order_id ?? '')),
      5000,
      'get_risk_verdict',
    );
    const l = await within(
      thrift.client.get_risk_verdict(decimalToI64(legit?.order_id ?? '')),
      5000,
      'get_risk_verdict',
    );

    expect(u64(f.order_id)).toBe(fraud?.order_id);
    expect(f.status).toBe(RiskStatus.FRAUD);
    expect(f.rules).toEqual(fraud?.rules);
    expect(f.cs_event_id?.toNumber(true)).toBe(fraud?.cs_event_id);
    expect(f.reviewed_at).toBe(fraud?.reviewed_at);
    expect(u64(l.order_id)).toBe(legit?.order_id);
    expect(l.status).toBe(RiskStatus.LEGIT);
    expect(l.cs_event_id ?? null).toBeNull();
    expect(l.reviewed_at).toBe(legit?.reviewed_at);
  });

  it('when ids differ only past 2^53, then each answer is about its own order', async () => {
    const h = harness();
    // 2^53 + 12 and 2^53 + 13 are the same double; the review tests above judged one fraud and the other legit.
    const a = '9007199254741004';
    const b = '9007199254741005';
    expect(Number(a)).toBe(Number(b));
    const [sa, sb] = [await h.domains.risk.store.get(a), await h.domains.risk.store.get(b)];
    expect(sa?.status).not.toBe(sb?.status);

    const [va, vb] = await within(
      Promise.all([thrift.client.get_risk_verdict(decimalToI64(a)), thrift.client.get_risk_verdict(decimalToI64(b))]),
      5000,
      'get_risk_verdict',
    );

    const status = { pending: RiskStatus.PENDING, fraud: RiskStatus.FRAUD, legit: RiskStatus.LEGIT };
    expect(u64(va.order_id)).toBe(a);
    expect(u64(vb.order_id)).toBe(b);
    expect(va.status).toBe(status[sa?.status ?? 'pending']);
    expect(vb.status).toBe(status[sb?.status ?? 'pending']);
    expect(va.cs_event_id?.toNumber(true) ?? null).toBe(sa?.cs_event_id);
    expect(vb.cs_event_id?.toNumber(true) ?? null).toBe(sb?.cs_event_id);
  });

  it('when the order was never flagged, then UserException 1200', async () => {
    const unflagged = FIXTURE_ORDERS.find((o) => (EXPECTED_FLAGS[o.id]?.length ?? 0) === 0)?.id ?? '';

    const err: unknown = await within(
      thrift.client.get_risk_verdict(decimalToI64(unflagged)).then(
        () => undefined,
        (e: unknown) => e,
      ),
      5000,
      'get_risk_verdict',
    );

    expect(err).toBeInstanceOf(UserException);
    expect(err).toMatchObject({ code: 1200 });
  });

  it('when the order id is 0, then UserException 1001 naming order_id, as HTTP answers 400 (1001) for it', async () => {
    const err: unknown = await within(
      thrift.client.get_risk_verdict(decimalToI64('0')).then(
        () => undefined,
        (e: unknown) => e,
      ),
      5000,
      'get_risk_verdict',
    );
    const http = await call(harness().app, 'GET', '/api/risk/orders/0', reviewer);

    expect(err).toBeInstanceOf(UserException);
    expect(err).toMatchObject({ code: 1001 });
    expect((err as UserException).message).toContain('order_id');
    expect({ status: http.status, code: http.body.code }).toEqual({ status: 400, code: 1001 });
  });
});
