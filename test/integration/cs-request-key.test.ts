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
  it('when an event is created twice with one key and the same body, then the second answer is the first event and one row exists', async () => {
    const first = await create('retry-1', 'first try');

    const second = await create('retry-1', 'first try');

    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.data).toEqual(first.body.data);
    expect(await rowsWithKey('retry-1')).toEqual([{ id: String(first.body.data.id) }]);
    expect(await recordsOf(first.body.data.id)).toBe(1);
  });

  it('when the same body is sent again with its defaults written out, then it is the same request: the first event', async () => {
    const first = await create('retry-defaults', 'defaults');

    const again = await call<CsEvent>(
      app(),
      'POST',
      '/api/cs/events',
      agent,
      eventBody({ request_key: 'retry-defaults', content: '  defaults ', priority: 0, compensation: 0 }),
    );

    expect(again.status).toBe(201);
    expect(again.body.data.id).toBe(first.body.data.id);
  });

  it.each([
    ['content', { content: 'another text' }],
    ['priority', { content: 'first words', priority: 3 }],
    ['phone', { content: 'first words', phone: '+44 20 7946 0000' }],
    ['compensation', { content: 'first words', compensation: 12.5 }],
  ])(
    'when a key is reused with a different %s, then 409 with code 1107, and the first event is unchanged and alone',
    async (field, change) => {
      const key = `reuse-${field}`;
      const first = await create(key, 'first words');

      const reused = await call(app(), 'POST', '/api/cs/events', agent, eventBody({ request_key: key, ...change }));

      expect({ status: reused.status, code: reused.body.code, msg: reused.body.msg }).toEqual({
        status: 409,
        code: 1107,
        msg: `Request key ${key} was already used for a different request.`,
      });
      expect(await rowsWithKey(key)).toEqual([{ id: String(first.body.data.id) }]);
      const read = await call<CsEvent>(app(), 'GET', `/api/cs/events/${first.body.data.id}`, agent);
      expect(read.body.data).toEqual(first.body.data);
    },
  );

  it('when five creates with one key and different bodies arrive at once, then one makes the event (201) and the four others get 409 (1107); one row, one record, pending counted once', async () => {
    await call(app(), 'GET', '/api/cs/stats', agent);
    const before = await countsInMysql(app());

    const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => create('burst-2', `attempt ${n}`)));

    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409]);
    expect(answers.filter((a) => a.status === 409).map((a) => a.body.code)).toEqual([1107, 1107, 1107, 1107]);
    const winner = answers.find((a) => a.status === 201);
    expect(await rowsWithKey('burst-2')).toEqual([{ id: String(winner?.body.data.id) }]);
    expect(await recordsOf(winner?.body.data.id as number)).toBe(1);
    expect((await countsInMysql(app())).pending).toBe(before.pending + 1);
  });

  it('when five creates with one key and the same body arrive at once, then all answer the same event, one row and one record exist, and pending counts it once', async () => {
    await call(app(), 'GET', '/api/cs/stats', agent);
    const before = await countsInMysql(app());

    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => create('burst-1', 'one request')));

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
