import { createStaffDomain } from '../../src/service/staff';
import { ACCESS } from '../../src/domains';
import type { CsEvent } from '../../src/service/cs/cs-types';
import { appWithOwnData, createEvent, storedEvent, storedRecords } from '../helpers/cs';
import { call, type LoggedIn, loginAs } from '../helpers/staff';

const app = appWithOwnData();

let agent: LoggedIn;
let colleague: LoggedIn;
let reviewer: LoggedIn;
let leaver: LoggedIn;

beforeAll(async () => {
  agent = await loginAs(app(), ['cs_agent']);
  colleague = await loginAs(app(), ['cs_agent']);
  reviewer = await loginAs(app(), ['risk_reviewer']);
  leaver = await loginAs(app(), ['cs_agent']);
  const { staff } = createStaffDomain(
    app().resources.sequelize,
    app().resources.redis,
    app().resources.config.auth,
    ACCESS,
  );
  await staff.setDisabled(leaver.id, true);
});

function forward(id: number, handlerId: number) {
  return call<CsEvent>(app(), 'POST', `/api/cs/events/${id}/transition`, agent, {
    to: 'forward',
    handler_id: handlerId,
  });
}

describe('who an event may be handed to', () => {
  it.each([
    ['a staff id that does not exist', () => 987_654_321],
    ['a staff member without cs_event.write (a risk reviewer)', () => reviewer.id],
    ['a disabled staff member', () => leaver.id],
  ])(
    'when an agent forwards to %s, then 400 code 1109 and the event and its timeline are unchanged',
    async (_what, target) => {
      const event = await createEvent(app(), agent, { content: 'to be forwarded' });
      const res = await forward(event.id, target());
      expect(res.status).toBe(400);
      expect(res.body.code).toBe(1109);
      expect(res.body.msg).toContain(String(target()));
      expect(await storedEvent(app(), event.id)).toMatchObject({ status: 'pending', handler_id: String(agent.id) });
      expect(await storedRecords(app(), event.id)).toHaveLength(1);
    },
  );

  it('when an agent forwards to a colleague who can handle events, then the colleague handles it', async () => {
    const event = await createEvent(app(), agent, { content: 'for a colleague' });
    const res = await forward(event.id, colleague.id);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ status: 'forward', handler_id: colleague.id });
  });

  it('when an event is created for a handler who cannot handle events, then 400 code 1109 and no event is stored', async () => {
    const res = await call<CsEvent>(app(), 'POST', '/api/cs/events', agent, {
      user_type: 'user',
      source: 'phone',
      content: 'created for someone else',
      handler_id: reviewer.id,
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(1109);
    const list = await call<{ items: CsEvent[] }>(app(), 'GET', `/api/cs/events?handler=${reviewer.id}`, agent);
    expect(list.body.data.items).toHaveLength(0);
  });
});
