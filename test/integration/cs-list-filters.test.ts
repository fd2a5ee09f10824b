import type { CategoryNodeOut } from '../../src/service/cs/cs-schemas';
import type { CsEvent, Page } from '../../src/service/cs/cs-types';
import { appWithOwnData, createEvent, execute, moveEvent } from '../helpers/cs';
import { call, type LoggedIn, loginAs } from '../helpers/staff';

const app = appWithOwnData();

let agent: LoggedIn;
let other: LoggedIn;
let admin: LoggedIn;
/** The fixture events by name, e1 to e6 (see beforeAll). */
const ev: Record<string, CsEvent> = {};
const cat: Record<string, number> = {};

function flatten(nodes: CategoryNodeOut[]): CategoryNodeOut[] {
  return nodes.flatMap((n) => [n, ...flatten(n.children)]);
}

async function putCategories(nodes: Record<string, unknown>[]): Promise<void> {
  const res = await call<CategoryNodeOut[]>(app(), 'PUT', '/api/cs/categories', admin, { nodes });
  if (res.status !== 200) throw new Error(`PUT /api/cs/categories answered ${res.status}: ${JSON.stringify(res.body)}`);
  for (const node of flatten(res.body.data)) cat[node.name] = node.id;
}

beforeAll(async () => {
  agent = await loginAs(app(), ['cs_agent']);
  other = await loginAs(app(), ['cs_agent']);
  admin = await loginAs(app(), ['cs_admin']);
  await putCategories([{ name: 'Delivery' }, { name: 'Payment' }]);
  await putCategories([{ name: 'Late', parent_id: cat.Delivery }]);
  await putCategories([{ name: 'Very late', parent_id: cat.Late }]);

  ev.e1 = await createEvent(app(), agent, {
    user_type: 'user',
    source: 'phone',
    priority: 0,
    phone: '555-0001',
    category_id: cat['Very late'],
  });
  ev.e2 = await createEvent(app(), agent, {
    user_type: 'merchant',
    source: 'email',
    priority: 1,
    phone: '555-0002',
    category_id: cat.Delivery,
    compensation: 10.5,
  });
  ev.e3 = await createEvent(app(), other, {
    user_type: 'marketing',
    source: 'weibo',
    priority: 2,
    phone: '555-0003',
    category_id: cat.Payment,
  });
  ev.e4 = await createEvent(app(), other, {
    user_type: 'others',
    source: 'wechat',
    priority: 3,
    phone: '555-0001',
    compensation: 5,
  });
  ev.e5 = await createEvent(app(), agent, {
    user_type: 'user',
    source: 'online_cs',
    priority: 0,
    phone: '555-0005',
    category_id: cat.Late,
  });
  ev.e6 = await createEvent(app(), agent, { user_type: 'user', source: 'feedback', priority: 1, phone: '555-0006' });
  ev.e5 = await moveEvent(app(), agent, ev.e5.id, 'remain');
  ev.e6 = await moveEvent(app(), agent, ev.e6.id, 'done');

  // Chosen creation times around the day boundaries the date filter must get right,
  // and update times in an order that differs from the ids.
  const times: [string, string, string][] = [
    ['e1', '2024-03-09 12:00:00.000', '2024-04-01 10:00:00.000'],
    ['e2', '2024-03-10 00:00:00.000', '2024-04-01 08:00:00.000'],
    ['e3', '2024-03-10 23:59:59.999', '2024-04-01 11:00:00.000'],
    ['e4', '2024-03-11 00:00:00.000', '2024-04-01 06:00:00.000'],
    ['e5', '2024-03-12 09:30:00.000', '2024-04-01 07:00:00.000'],
    ['e6', '2024-03-08 23:59:59.999', '2024-04-01 09:00:00.000'],
  ];
  for (const [name, created, updated] of times) {
    await execute(app(), 'UPDATE cs_event SET created_at = :created, updated_at = :updated WHERE id = :id', {
      created,
      updated,
      id: ev[name]?.id,
    });
  }
});

async function list(query: string, who: LoggedIn = agent) {
  return call<Page<CsEvent>>(app(), 'GET', `/api/cs/events${query}`, who);
}

/** The fixture names of the events a listing returned, sorted. */
async function names(query: string, who: LoggedIn = agent): Promise<string[]> {
  const res = await list(query, who);
  if (res.status !== 200)
    throw new Error(`GET /api/cs/events${query} answered ${res.status}: ${JSON.stringify(res.body)}`);
  const byId = new Map(Object.entries(ev).map(([name, e]) => [e.id, name]));
  expect(res.body.data.total).toBe(res.body.data.items.length);
  return res.body.data.items.map((e) => byId.get(e.id) ?? `unknown ${e.id}`).sort();
}

describe('listing events', () => {
  it('when nothing is filtered, then every live event comes, newest update first', async () => {
    const res = await list('');

    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ total: 6, page: 1, page_size: 20 });
    expect(res.body.data.items.map((e) => e.id)).toEqual([ev.e3, ev.e1, ev.e6, ev.e2, ev.e5, ev.e4].map((e) => e?.id));
  });

  it('when an event changes, then it moves to the top of the list', async () => {
    await call(app(), 'PATCH', `/api/cs/events/${ev.e4?.id}`, other, { content: 'more detail' });

    const res = await list('?page_size=2');

    expect(res.body.data.items.map((e) => e.id)).toEqual([ev.e4?.id, ev.e3?.id]);
    await execute(app(), "UPDATE cs_event SET updated_at = '2024-04-01 06:00:00.000' WHERE id = :id", {
      id: ev.e4?.id,
    });
  });

  it('when pages are walked, then each has page_size items of the total, none twice, and past the end is empty', async () => {
    const pages = await Promise.all([1, 2, 3, 4].map((p) => list(`?page=${p}&page_size=2`)));

    expect(pages.map((p) => p.body.data.items.length)).toEqual([2, 2, 2, 0]);
    expect(pages.every((p) => p.body.data.total === 6 && p.body.data.page_size === 2)).toBe(true);
    expect(pages.map((p) => p.body.data.page)).toEqual([1, 2, 3, 4]);
    const ids = pages.flatMap((p) => p.body.data.items.map((e) => e.id));
    expect(new Set(ids).size).toBe(6);
  });

  it('when page_size is 1000, then it is accepted', async () => {
    const res = await list('?page_size=1000');

    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ page_size: 1000, total: 6 });
  });
});

describe('filters narrow the list', () => {
  it.each([
    ['?status=pending', ['e1', 'e2', 'e3', 'e4']],
    ['?status=remain,done', ['e5', 'e6']],
    ['?status=follow_up', []],
    ['?user_type=user', ['e1', 'e5', 'e6']],
    ['?user_type=merchant', ['e2']],
    ['?priority=1', ['e2', 'e6']],
    ['?priority=0', ['e1', 'e5']],
    ['?source=email', ['e2']],
    ['?source=online_cs', ['e5']],
    ['?phone=555-0001', ['e1', 'e4']],
    ['?has_compensation=true', ['e2', 'e4']],
    ['?has_compensation=false', ['e1', 'e3', 'e5', 'e6']],
    ['?status=pending&user_type=user', ['e1']],
  ])('when the query is %s, then exactly %j come', async (query, expected) => {
    expect(await names(query)).toEqual(expected);
  });

  it('when a category is asked for, then events under it and under all its descendants come', async () => {
    expect(await names(`?category_id=${cat.Delivery}`)).toEqual(['e1', 'e2', 'e5']);
    expect(await names(`?category_id=${cat.Late}`)).toEqual(['e1', 'e5']);
    expect(await names(`?category_id=${cat['Very late']}`)).toEqual(['e1']);
    expect(await names(`?category_id=${cat.Payment}`)).toEqual(['e3']);
  });

  it('when handler=mine is asked for, then each caller gets the events they handle', async () => {
    expect(await names('?handler=mine', agent)).toEqual(['e1', 'e2', 'e5', 'e6']);
    expect(await names('?handler=mine', other)).toEqual(['e3', 'e4']);
    expect(await names('?handler=mine', admin)).toEqual([]);
  });

  it('when a handler id is asked for, then that staff member’s events come', async () => {
    expect(await names(`?handler=${other.id}`, admin)).toEqual(['e3', 'e4']);
  });

  it.each([
    ['?created_from=2024-03-10', ['e2', 'e3', 'e4', 'e5']],
    ['?created_to=2024-03-10', ['e1', 'e2', 'e3', 'e6']],
    ['?created_from=2024-03-10&created_to=2024-03-10', ['e2', 'e3']],
    ['?created_from=2024-03-09&created_to=2024-03-09', ['e1']],
    ['?created_from=2024-03-11&created_to=2024-03-12', ['e4', 'e5']],
    ['?created_from=2024-03-13', []],
  ])('when the creation dates are %s, then the end day counts whole and exactly %j come', async (query, expected) => {
    expect(await names(query)).toEqual(expected);
  });
});

describe('bad list queries are refused with 400 naming the field', () => {
  it.each([
    ['?page_size=1001', 'query.page_size'],
    ['?page_size=0', 'query.page_size'],
    ['?page=0', 'query.page'],
    ['?page=-1', 'query.page'],
    ['?page=two', 'query.page'],
    ['?status=closed', 'query.status'],
    ['?status=pending,bogus', 'query.status'],
    ['?status=', 'query.status'],
    ['?user_type=robot', 'query.user_type'],
    ['?source=fax', 'query.source'],
    ['?priority=4', 'query.priority'],
    ['?has_compensation=yes', 'query.has_compensation'],
    ['?handler=someone', 'query.handler'],
    ['?category_id=abc', 'query.category_id'],
    ['?created_from=2024/03/10', 'query.created_from'],
    ['?created_to=10-03-2024', 'query.created_to'],
    ['?created_to=2024-02-30', 'query.created_to'],
    ['?created_from=2024-13-01', 'query.created_from'],
  ])('when the query is %s, then 400 code 1001 naming %s', async (query, field) => {
    const res = await list(query);

    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 1001, data: null });
    expect(res.body.msg).toContain(field);
    expect(typeof res.body.request_id).toBe('string');
  });

  it('when the query has a key the route does not know, then 400 naming that key', async () => {
    const res = await list('?colour=red');

    expect(res.status).toBe(400);
    expect(res.body.code).toBe(1001);
    expect(res.body.msg).toContain('colour');
  });

  it('when several fields are bad, then each is named in one answer', async () => {
    const res = await list('?page=0&source=fax&page_size=5000');

    expect(res.status).toBe(400);
    for (const field of ['query.page', 'query.source', 'query.page_size']) expect(res.body.msg).toContain(field);
  });
});
