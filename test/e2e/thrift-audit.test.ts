import Int64 from 'node-int64';
import type { RunningApp } from '../../src/core/app/app';
import type { CsEventRecord } from '../../src/service/cs/cs-types';
import { CreateCsEventRequest, CsSource, CsUserType } from '../../thrift/gen-nodejs/tandem_types';
import { startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { call, type LoggedIn, loginAs } from '../helpers/staff';
import { tandemClient } from '../helpers/thrift-client';
import { within } from '../helpers/wait';

/**
 * "Staff 5, via order-service" is told from "staff 5, in the back office":
 * the timeline record of a change made over Thrift names the calling service
 * next to the staff member it acted for, and so do the log lines of the call.
 */

let app: RunningApp;
let db: { database: string; drop: () => Promise<void> };
let logs: LogCapture;
let agent: LoggedIn;

beforeAll(async () => {
  db = await freshDatabase();
  app = await startTestApp({
    mysql: { database: db.database },
    redis: { key_prefix: freshRedisPrefix() },
    log: { level: 'info', access: true },
  });
  logs = captureLogs();
  agent = await loginAs(app, ['cs_agent']);
});

afterAll(async () => {
  await app.stop();
  await db.drop();
});

async function records(id: number): Promise<CsEventRecord[]> {
  const res = await call<CsEventRecord[]>(app, 'GET', `/api/cs/events/${id}/records`, agent);
  expect(res.status).toBe(200);
  return res.body.data;
}

function request(creator: number): CreateCsEventRequest {
  return new CreateCsEventRequest({
    user_type: CsUserType.USER,
    source: CsSource.ONLINE_CS,
    content: 'refund disputed',
    creator_id: new Int64(creator),
  });
}

it('when order-service creates an event for a staff member over Thrift, then its record says that staff member, via order-service, and the access line names both', async () => {
  const order = await tandemClient(app.thrift.port);
  try {
    await within(order.client.hello('order-service'), 5000, 'hello');
    const created = await within(order.client.create_cs_event(request(agent.id)), 5000, 'create_cs_event');
    const id = created.id.toNumber(false);

    const [first] = await records(id);
    expect(first).toMatchObject({ action: 'create', actor_id: agent.id, via: 'order-service' });
    const line = await logs.find((l) => l.message === 'thrift access' && l.method === 'create_cs_event');
    expect(line.caller).toBe('order-service');
  } finally {
    order.close();
  }
});

it('when a caller gives no name, then the record names its address instead', async () => {
  const anonymous = await tandemClient(app.thrift.port);
  try {
    const created = await within(anonymous.client.create_cs_event(request(agent.id)), 5000, 'create_cs_event');

    const [first] = await records(created.id.toNumber(false));
    expect(first?.via).toMatch(/^peer:.*127\.0\.0\.1$/);
  } finally {
    anonymous.close();
  }
});

it('when the same staff member changes the event in the back office, then that record has no via', async () => {
  const order = await tandemClient(app.thrift.port);
  let id: number;
  try {
    await within(order.client.hello('order-service'), 5000, 'hello');
    id = (await within(order.client.create_cs_event(request(agent.id)), 5000, 'create_cs_event')).id.toNumber(false);
  } finally {
    order.close();
  }

  const moved = await call(app, 'POST', `/api/cs/events/${id}/transition`, agent, {
    to: 'remain',
    note: 'called back',
  });
  expect(moved.status).toBe(200);

  const timeline = await records(id);
  expect(timeline.map((r) => [r.actor_id, r.via])).toEqual([
    [agent.id, 'order-service'],
    [agent.id, ''],
  ]);
});
