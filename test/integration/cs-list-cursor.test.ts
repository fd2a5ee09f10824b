import type { CsEvent, CsEventRecord, Page } from '../../src/service/cs/cs-types';
import { appWithOwnData, createEvent, execute, moveEvent } from '../helpers/cs';
import { call, type LoggedIn, loginAs } from '../helpers/staff';

/** Cursor pagination of the event list and the timeline, against the real MariaDB. */
const app = appWithOwnData();

let agent: LoggedIn;
let other: LoggedIn;
const ids: number[] = [];

interface Envelope<T> {
  code: number;
  msg: string;
  data: T;
}

async function list(query: string, who: LoggedIn = agent): Promise<{ status: number; body: Envelope<Page<CsEvent>> }> {
  return call<Page<CsEvent>>(app(), 'GET', `/api/cs/events${query}`, who);
}

/** Every page of a list by cursor, `size` at a time: the pages' ids, in order. */
async function walk(filters: string, size: number): Promise<number[][]> {
  const pages: number[][] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 100; i += 1) {
    const sep = filters ? '&' : '';
    const q = `?${filters}${sep}page_size=${size}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await list(q);
    if (res.status !== 200) throw new Error(`GET ${q} answered ${res.status}: ${JSON.stringify(res.body)}`);
    pages.push(res.body.data.items.map((e) => e.id));
    cursor = res.body.data.next_cursor;
    if (cursor === null) return pages;
    expect(res.body.data.page).toBe(pages.length === 1 ? 1 : null);
  }
  throw new Error('more than 100 pages');
}

async function all(filters: string): Promise<number[]> {
  const res = await list(`?${filters}${filters ? '&' : ''}page_size=1000`);
  if (res.status !== 200) throw new Error(`answered ${res.status}: ${JSON.stringify(res.body)}`);
  expect(res.body.data.next_cursor).toBeNull();
  return res.body.data.items.map((e) => e.id);
}

beforeAll(async () => {
  agent = await loginAs(app(), ['cs_agent']);
  other = await loginAs(app(), ['cs_agent']);
  // 13 events: handlers, statuses and priorities mixed; several share one update time, so the id breaks ties.
  for (let i = 0; i < 13; i += 1) {
    const who = i % 3 === 0 ? other : agent;
    const e = await createEvent(app(), who, { priority: i % 4, phone: `555-01${String(i).padStart(2, '0')}` });
    if (i % 2 === 1) await moveEvent(app(), who, e.id, 'remain');
    if (i % 5 === 4) await moveEvent(app(), who, e.id, 'follow_up');
    ids.push(e.id);
  }
  for (const [n, id] of ids.entries()) {
    await execute(app(), 'UPDATE cs_event SET updated_at = :at, created_at = :created WHERE id = :id', {
      at: `2024-05-01 10:00:0${n % 4}.000`,
      created: `2024-04-0${1 + (n % 3)} 12:00:00.000`,
      id,
    });
  }
});

describe('paging by cursor', () => {
  const filters = [
    '',
    'status=pending',
    'status=pending,remain,follow_up',
    'status=pending,remain&handler=mine',
    'handler=mine',
    'priority=1',
    'status=remain&priority=1',
    'has_compensation=false',
    'created_from=2024-04-01&created_to=2024-04-02',
    'status=pending,remain&created_from=2024-04-01',
  ];
  it.each(filters)(
    'when the list ?%s is walked by cursor, then the pages are the whole list in order, each row once',
    async (f) => {
      const whole = await all(f);
      expect(whole.length).toBeGreaterThan(0);
      for (const size of [1, 2, 5]) {
        const pages = await walk(f, size);
        expect(pages.flat()).toEqual(whole);
        expect(pages.every((p) => p.length <= size)).toBe(true);
      }
    },
  );

  it('when a list has a creation-date range, then it is sorted by creation, newest first', async () => {
    const res = await list('?created_from=2024-04-01&page_size=100');
    const created = res.body.data.items.map((e) => `${e.created_at}/${String(e.id).padStart(8, '0')}`);
    expect(created).toEqual([...created].sort().reverse());
  });

  it('when the last page is reached, then next_cursor is null and a page by number has a cursor to go on', async () => {
    const first = await list('?page=1&page_size=4');
    expect(first.body.data.next_cursor).toEqual(expect.any(String));
    const byPage = await list('?page=2&page_size=4');
    const byCursor = await list(`?page_size=4&cursor=${encodeURIComponent(first.body.data.next_cursor ?? '')}`);
    expect(byCursor.body.data.items.map((e) => e.id)).toEqual(byPage.body.data.items.map((e) => e.id));
    const last = await list('?page=4&page_size=4');
    expect(last.body.data.items).toHaveLength(1);
    expect(last.body.data.next_cursor).toBeNull();
  });
});

describe('a cursor that does not fit the request', () => {
  async function firstCursor(filters: string): Promise<string> {
    const res = await list(`?${filters}&page_size=1`);
    return res.body.data.next_cursor ?? '';
  }

  it.each([
    ['with other filters', 'status=pending', (c: string) => `?status=remain&cursor=${encodeURIComponent(c)}`],
    ['with a filter dropped', 'status=pending', (c: string) => `?cursor=${encodeURIComponent(c)}`],
    ['with page 2', 'status=pending', (c: string) => `?page=2&cursor=${encodeURIComponent(c)}`],
    ['that is not a cursor', 'status=pending', () => '?cursor=bm90IGEgY3Vyc29y'],
  ])('when a cursor is sent %s, then 400 naming cursor', async (_name, filters, query) => {
    const res = await list(query(await firstCursor(filters)));
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(1001);
    expect(res.body.msg).toMatch(/^Some fields are invalid: cursor \(/);
  });

  it("when another agent's handler=mine cursor is used, then 400: mine is resolved to a staff id", async () => {
    const cursor = await firstCursor('handler=mine');
    const res = await list(`?handler=mine&cursor=${encodeURIComponent(cursor)}`, other);
    expect(res.status).toBe(400);
    expect(res.body.msg).toMatch(/cursor/);
  });

  it('when a page starts more than 10000 rows deep, then 400 naming page and pointing to cursor', async () => {
    const res = await list('?page=502&page_size=20');
    expect(res.status).toBe(400);
    expect(res.body.msg).toMatch(/^Some fields are invalid: page \(.*cursor=/);
    expect((await list('?page=501&page_size=20')).status).toBe(200);
  });
});

describe('paging while rows change', () => {
  it('when rows are updated between pages, then no unchanged row is skipped or repeated, and a moved row is not repeated', async () => {
    const whole = await all('');
    const first = await list('?page_size=4');
    const seen = first.body.data.items.map((e) => e.id);
    const onPage1 = seen[1] as number;
    const later = whole[6] as number;
    // Both move to the top of the list (newest update): one already seen, one not yet reached.
    await execute(app(), 'UPDATE cs_event SET updated_at = NOW(3) WHERE id IN (:ids)', { ids: [onPage1, later] });
    const rest: number[] = [];
    let cursor = first.body.data.next_cursor;
    while (cursor) {
      const res = await list(`?page_size=4&cursor=${encodeURIComponent(cursor)}`);
      rest.push(...res.body.data.items.map((e) => e.id));
      cursor = res.body.data.next_cursor;
    }
    // Every row that was after page 1 and did not change comes once, in the original order.
    expect(rest).toEqual(whole.slice(4).filter((id) => id !== later));
    expect(rest.filter((id) => seen.includes(id))).toEqual([]);
    // A fresh first page shows the moved rows on top.
    expect((await all('')).slice(0, 2).sort()).toEqual([onPage1, later].sort());
  });
});

describe('total', () => {
  it('when a list is small, then total is exact and says so', async () => {
    const res = await list('?priority=1&page_size=1');
    expect(res.body.data.total).toBe((await all('priority=1')).length);
    expect(res.body.data.total_is_exact).toBe(true);
  });

  it('when more than 1000 events match, then total stops at 1000 and says it is not exact', async () => {
    await execute(
      app(),
      `INSERT INTO cs_event (user_type, phone, source, priority, status, creator_id, handler_id, compensation, content, created_at, updated_at)
       SELECT 'user', '555-9999', 'email', 2, 'done', 1, 1, 0, 'bulk', NOW(3), NOW(3) FROM seq_1_to_1005`,
    );
    const res = await list('?source=email&page_size=1');
    expect(res.body.data).toMatchObject({ total: 1000, total_is_exact: false });
    expect(res.body.data.next_cursor).toEqual(expect.any(String));
    const one = await list('?source=email&phone=555-9999&priority=3');
    expect(one.body.data).toMatchObject({ total: 0, total_is_exact: true, next_cursor: null });
  });
});

describe('total when some filters are not in the index', () => {
  it('when counting would read more than 2000 rows, then total is what it found and says it is not exact', async () => {
    // A day of 2,013 events read by creation (idx_event_live_created); handler is checked on each row.
    await execute(
      app(),
      `INSERT INTO cs_event (user_type, phone, source, priority, status, creator_id, handler_id, compensation, content, created_at, updated_at)
       SELECT 'user', '', 'phone', 0, 'done', 1, IF(seq > 2010, 99, 1), 0, 'one busy day',
              TIMESTAMP('2024-07-01') + INTERVAL seq SECOND, NOW(3) FROM seq_1_to_2013`,
    );
    const res = await list('?created_from=2024-07-01&created_to=2024-07-01&handler=99');
    expect(res.status).toBe(200);
    expect(res.body.data.items).toHaveLength(3);
    expect(res.body.data.next_cursor).toBeNull();
    expect(res.body.data.total_is_exact).toBe(false);
    expect(res.body.data.total).toBeLessThanOrEqual(3);
    const narrow = await list('?created_from=2024-07-01&created_to=2024-07-01&handler=99&priority=0&source=phone');
    expect(narrow.body.data.items).toHaveLength(3);
    // Fewer candidates than the cap: exact.
    const small = await list('?created_from=2024-04-01&created_to=2024-04-03&handler=mine');
    expect(small.body.data.total_is_exact).toBe(true);
    expect(small.body.data.total).toBe(small.body.data.items.length);
  });
});

describe('the timeline by cursor', () => {
  it('when an event with many records is read a page at a time, then every record comes once, oldest first', async () => {
    const id = ids[0] as number;
    for (let i = 0; i < 6; i += 1) {
      await call(app(), 'PATCH', `/api/cs/events/${id}`, other, { content: `note ${i}` });
    }
    const whole = await call<CsEventRecord[]>(app(), 'GET', `/api/cs/events/${id}/records`, other);
    const got: number[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: Envelope<{ items: CsEventRecord[]; next_cursor: string | null }> } =
        await call(
          app(),
          'GET',
          `/api/cs/events/${id}/timeline?page_size=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          other,
        );
      expect(res.status).toBe(200);
      expect(res.body.data.items.length).toBeLessThanOrEqual(3);
      got.push(...res.body.data.items.map((r) => r.id));
      cursor = res.body.data.next_cursor;
    } while (cursor);
    expect(got).toEqual(whole.body.data.map((r) => r.id));
    expect(got.length).toBeGreaterThan(6);
  });

  it("when one event's timeline cursor is sent for another event, then 400 naming cursor", async () => {
    const res = await call<{ next_cursor: string }>(
      app(),
      'GET',
      `/api/cs/events/${ids[0]}/timeline?page_size=1`,
      agent,
    );
    const wrong = await call(
      app(),
      'GET',
      `/api/cs/events/${ids[1]}/timeline?cursor=${encodeURIComponent(res.body.data.next_cursor)}`,
      agent,
    );
    expect(wrong.status).toBe(400);
    expect((wrong.body as { msg: string }).msg).toMatch(/cursor/);
  });
});
