import type { CsEvent, CsStatus } from '../../src/service/cs/cs-types';
import { appWithOwnData, countsInMysql, eventBody, select } from '../helpers/cs';
import { call, type LoggedIn, loginAs } from '../helpers/staff';

const app = appWithOwnData();

let agent: LoggedIn;

beforeAll(async () => {
  agent = await loginAs(app(), ['cs_agent']);
});

function create(key: string, content: string) {
  return call<CsEvent>(app(), 'POST', '/api/cs/events', agent, eventBody({ request_key: key, content }));
}

async function rowsWithKey(key: string): Promise<{ id: string }[]> {
  return select<{ id: string }>(app(), 'SELECT id FROM cs_event WHERE request_key = :key AND deleted_id = 0', { key });
}

async function recordsOf(id: number): Promise<number> {
  const [row] = await select<{ n: string | number }>(
    app(),
    'SELECT COUNT(*) AS n FROM cs_event_record WHERE event_id = :id',
    { id },
  );
  return Number(row?.n);
}

describe('request_key makes creation idempotent', () => {
  it('when an event is created twice with one key, then the second answer is the first event and one row exists', async () => {
    const first = await create('retry-1', 'first try');

    const second = await create('retry-1', 'the retry');

    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.data).toEqual(first.body.data);
    expect(second.body.data.content).toBe('first try');
    expect(await rowsWithKey('retry-1')).toEqual([{ id: String(first.body.data.id) }]);
    expect(await recordsOf(first.body.data.id)).toBe(1);
  });

  it('when five creates with one key arrive at once, then all answer the same event, one row and one record exist, and pending counts it once', async () => {
    await call(app(), 'GET', '/api/cs/stats', agent);
    const before = await countsInMysql(app());

    const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => create('burst-1', `attempt ${n}`)));

    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    const ids = new Set(answers.map((a) => a.body.data.id));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    expect(await rowsWithKey('burst-1')).toEqual([{ id: String(id) }]);
    expect(await recordsOf(id as number)).toBe(1);
    const after = await countsInMysql(app());
    expect(after.pending).toBe(before.pending + 1);
    const stats = await call<Record<CsStatus, number>>(app(), 'GET', '/api/cs/stats', agent);
    expect(stats.body.data).toEqual(after);
  });

  it('when two creates have different keys, then they make two events', async () => {
    const a = await create('key-a', 'a');
    const b = await create('key-b', 'b');

    expect(a.body.data.id).not.toBe(b.body.data.id);
  });

  it('when creates have no key, then each makes its own event', async () => {
    const a = await call<CsEvent>(app(), 'POST', '/api/cs/events', agent, eventBody({ content: 'same words' }));
    const b = await call<CsEvent>(app(), 'POST', '/api/cs/events', agent, eventBody({ content: 'same words' }));

    expect(a.body.data.id).not.toBe(b.body.data.id);
  });

  it('when the key is longer than 64 characters, then 400 naming body.request_key', async () => {
    const res = await create('k'.repeat(65), 'too long a key');

    expect(res.status).toBe(400);
    expect(res.body.msg).toContain('body.request_key');
  });
});
