import { CS_STATUSES, type CsEvent, type CsEventRecord, type CsStatus } from '../../src/service/cs/cs-types';
import {
  appWithOwnData,
  countsInMysql,
  createEvent,
  moveEvent,
  select,
  storedEvent,
  storedRecords,
} from '../helpers/cs';
import { call, type LoggedIn, loginAs } from '../helpers/staff';

const app = appWithOwnData();
const OPEN: CsStatus[] = CS_STATUSES.filter((s) => s !== 'done');

let agent: LoggedIn;
let colleague: LoggedIn;
let admin: LoggedIn;

beforeAll(async () => {
  agent = await loginAs(app(), ['cs_agent']);
  colleague = await loginAs(app(), ['cs_agent']);
  admin = await loginAs(app(), ['cs_admin']);
});

/** A new event of `agent`'s, brought to `status` (a forward keeps `agent` as the handler). */
async function eventIn(status: CsStatus): Promise<CsEvent> {
  const created = await createEvent(app(), agent, { content: `an event to bring to ${status}` });
  if (status === 'pending') return created;
  return moveEvent(app(), agent, created.id, status, status === 'forward' ? agent.id : undefined);
}

function transition(who: LoggedIn, id: number, body: Record<string, unknown>) {
  return call<CsEvent>(app(), 'POST', `/api/cs/events/${id}/transition`, who, body);
}

describe('legal transitions', () => {
  const moves = OPEN.flatMap((from) => CS_STATUSES.filter((to) => to !== from).map((to) => [from, to] as const));

  it.each(moves)(
    'when the handler moves an event from %s to %s, then 200, the row has the new status and the timeline records the move',
    async (from, to) => {
      const event = await eventIn(from);
      const before = await storedRecords(app(), event.id);

      const res = await transition(agent, event.id, {
        to,
        handler_id: to === 'forward' ? colleague.id : undefined,
        note: `${from} to ${to}`,
      });

      const handler = to === 'forward' ? colleague.id : agent.id;
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ id: event.id, status: to, handler_id: handler });
      expect(await storedEvent(app(), event.id)).toMatchObject({ status: to, handler_id: String(handler) });
      const after = await storedRecords(app(), event.id);
      expect(after).toHaveLength(before.length + 1);
      expect(after.at(-1)).toEqual({
        action: 'transition',
        from_status: from,
        to_status: to,
        actor_id: String(agent.id),
        handler_id: String(handler),
        content: `${from} to ${to}`,
      });
    },
  );

  it('when an event goes through every status, then GET records shows each change in order with from, to and actor', async () => {
    const event = await createEvent(app(), agent);
    await moveEvent(app(), agent, event.id, 'remain');
    await moveEvent(app(), agent, event.id, 'follow_up');
    await moveEvent(app(), agent, event.id, 'forward', colleague.id);
    await moveEvent(app(), colleague, event.id, 'pending');
    await moveEvent(app(), colleague, event.id, 'done');

    const res = await call<CsEventRecord[]>(app(), 'GET', `/api/cs/events/${event.id}/records`, agent);

    expect(res.status).toBe(200);
    expect(res.body.data.map((r) => [r.action, r.from_status, r.to_status, r.actor_id, r.handler_id])).toEqual([
      ['create', null, 'pending', agent.id, agent.id],
      ['transition', 'pending', 'remain', agent.id, agent.id],
      ['transition', 'remain', 'follow_up', agent.id, agent.id],
      ['transition', 'follow_up', 'forward', agent.id, colleague.id],
      ['transition', 'forward', 'pending', colleague.id, colleague.id],
      ['transition', 'pending', 'done', colleague.id, colleague.id],
    ]);
    expect(res.body.data.every((r) => r.event_id === event.id && !Number.isNaN(Date.parse(r.created_at)))).toBe(true);
    expect(await storedRecords(app(), event.id)).toHaveLength(6);
  });

  it('when an admin who does not handle an event moves it, then 200 and the record names the admin as actor', async () => {
    const event = await eventIn('pending');

    const res = await transition(admin, event.id, { to: 'remain' });

    expect(res.status).toBe(200);
    expect(res.body.data.handler_id).toBe(agent.id);
    expect((await storedRecords(app(), event.id)).at(-1)).toMatchObject({
      actor_id: String(admin.id),
      to_status: 'remain',
    });
  });
});

describe('illegal transitions', () => {
  it.each(OPEN)(
    'when an event in %s is moved to the status it already has, then 409 code 1102 and nothing changes',
    async (status) => {
      const event = await eventIn(status);
      const before = await storedRecords(app(), event.id);

      const res = await transition(agent, event.id, {
        to: status,
        handler_id: status === 'forward' ? colleague.id : undefined,
      });

      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 1102, data: null });
      expect(res.body.msg).toContain(status);
      expect(await storedEvent(app(), event.id)).toMatchObject({ status, handler_id: String(agent.id) });
      expect(await storedRecords(app(), event.id)).toEqual(before);
    },
  );

  it.each(CS_STATUSES)('when a done event is moved to %s, then 409 code 1101 and nothing changes', async (to) => {
    const event = await eventIn('done');
    const before = await storedRecords(app(), event.id);

    const res = await transition(agent, event.id, { to, handler_id: to === 'forward' ? colleague.id : undefined });

    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 1101, data: null });
    expect(await storedEvent(app(), event.id)).toMatchObject({ status: 'done', handler_id: String(agent.id) });
    expect(await storedRecords(app(), event.id)).toEqual(before);
  });

  it('when an admin moves a done event, then 409 code 1101 too: done is final for everyone', async () => {
    const event = await eventIn('done');

    const res = await transition(admin, event.id, { to: 'pending' });

    expect(res.status).toBe(409);
    expect(res.body.code).toBe(1101);
  });

  it('when a done event is patched, then 409 code 1101 and its fields and timeline are unchanged', async () => {
    const event = await eventIn('done');
    const before = await storedRecords(app(), event.id);

    const res = await call<CsEvent>(app(), 'PATCH', `/api/cs/events/${event.id}`, agent, {
      priority: 3,
      content: 'changed',
    });

    expect(res.status).toBe(409);
    expect(res.body.code).toBe(1101);
    const [row] = await select<{ priority: number; content: string }>(
      app(),
      'SELECT priority, content FROM cs_event WHERE id = :id',
      {
        id: event.id,
      },
    );
    expect(row).toEqual({ priority: event.priority, content: event.content });
    expect(await storedRecords(app(), event.id)).toEqual(before);
  });

  it('when an event is forwarded without handler_id, then 400 naming body.handler_id and nothing changes', async () => {
    const event = await eventIn('pending');

    const res = await transition(agent, event.id, { to: 'forward' });

    expect(res.status).toBe(400);
    expect(res.body.code).toBe(1001);
    expect(res.body.msg).toContain('body.handler_id');
    expect(await storedEvent(app(), event.id)).toMatchObject({ status: 'pending', handler_id: String(agent.id) });
    expect(await storedRecords(app(), event.id)).toHaveLength(1);
  });

  it('when the target status is not one of the five, then 400 naming body.to', async () => {
    const event = await eventIn('pending');

    const res = await transition(agent, event.id, { to: 'closed' });

    expect(res.status).toBe(400);
    expect(res.body.msg).toContain('body.to');
  });

  it('when an agent moves an event they do not handle, then 403 code 951 and nothing changes', async () => {
    const event = await eventIn('pending');

    const res = await transition(colleague, event.id, { to: 'remain' });

    expect(res.status).toBe(403);
    expect(res.body.code).toBe(951);
    expect(await storedEvent(app(), event.id)).toMatchObject({ status: 'pending' });
    expect(await storedRecords(app(), event.id)).toHaveLength(1);
  });

  it('when a missing event is moved, then 404 code 1100', async () => {
    const res = await transition(agent, 987654321, { to: 'done' });

    expect(res.status).toBe(404);
    expect(res.body.code).toBe(1100);
  });
});

describe('forward hands the event over', () => {
  it('when an agent forwards an event, then the new handler owns it and the old handler gets 403 code 951 on any change', async () => {
    const event = await eventIn('pending');

    const forwarded = await transition(agent, event.id, {
      to: 'forward',
      handler_id: colleague.id,
      note: 'billing team',
    });

    expect(forwarded.status).toBe(200);
    expect(forwarded.body.data.handler_id).toBe(colleague.id);
    expect(await storedEvent(app(), event.id)).toMatchObject({ status: 'forward', handler_id: String(colleague.id) });

    const oldMoves = await transition(agent, event.id, { to: 'remain' });
    const oldPatches = await call(app(), 'PATCH', `/api/cs/events/${event.id}`, agent, { priority: 2 });
    expect([oldMoves.status, oldMoves.body.code]).toEqual([403, 951]);
    expect([oldPatches.status, oldPatches.body.code]).toEqual([403, 951]);

    const newMoves = await transition(colleague, event.id, { to: 'follow_up' });
    expect(newMoves.status).toBe(200);
    expect((await storedRecords(app(), event.id)).map((r) => [r.to_status, r.actor_id, r.handler_id])).toEqual([
      ['pending', String(agent.id), String(agent.id)],
      ['forward', String(agent.id), String(colleague.id)],
      ['follow_up', String(colleague.id), String(colleague.id)],
    ]);
  });

  it("when the handler's list is asked for, then a forwarded event moves from the old handler's list to the new one's", async () => {
    const event = await eventIn('pending');
    await moveEvent(app(), agent, event.id, 'forward', colleague.id);

    const oldList = await call<{ items: CsEvent[] }>(app(), 'GET', '/api/cs/events?handler=mine&page_size=1000', agent);
    const newList = await call<{ items: CsEvent[] }>(
      app(),
      'GET',
      '/api/cs/events?handler=mine&page_size=1000',
      colleague,
    );

    expect(oldList.body.data.items.map((e) => e.id)).not.toContain(event.id);
    expect(newList.body.data.items.map((e) => e.id)).toContain(event.id);
  });
});

describe('concurrent changes of one event', () => {
  it('when four done requests arrive at once, then exactly one 200, three 409, one transition record, and done counted once', async () => {
    const event = await eventIn('pending');
    const countsBefore = await countsInMysql(app());
    await call(app(), 'GET', '/api/cs/stats', agent);

    const answers = await Promise.all([1, 2, 3, 4].map(() => transition(agent, event.id, { to: 'done' })));

    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409]);
    expect(answers.filter((a) => a.status === 409).every((a) => a.body.code === 1101)).toBe(true);
    const [row] = await select<{ n: string | number }>(
      app(),
      "SELECT COUNT(*) AS n FROM cs_event_record WHERE event_id = :id AND action = 'transition'",
      { id: event.id },
    );
    expect(Number(row?.n)).toBe(1);
    expect(await storedEvent(app(), event.id)).toMatchObject({ status: 'done' });
    const countsAfter = await countsInMysql(app());
    expect(countsAfter).toEqual({ ...countsBefore, pending: countsBefore.pending - 1, done: countsBefore.done + 1 });
    const stats = await call<Record<CsStatus, number>>(app(), 'GET', '/api/cs/stats', agent);
    expect(stats.body.data).toEqual(countsAfter);
  });

  it('when two different moves of one event race, then both apply one after the other and the timeline chains them', async () => {
    const event = await eventIn('pending');

    const answers = await Promise.all([
      transition(agent, event.id, { to: 'remain' }),
      transition(agent, event.id, { to: 'follow_up' }),
    ]);

    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    const records = (await storedRecords(app(), event.id)).slice(1);
    expect(records).toHaveLength(2);
    // Each move saw the state the other left: the second one's "from" is the first one's "to".
    expect(records[1]?.from_status).toBe(records[0]?.to_status);
    expect((await storedEvent(app(), event.id))?.status).toBe(records[1]?.to_status);
  });
});
