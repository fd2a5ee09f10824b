import type { RunningApp } from '../../src/core/app/app';
import { startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { call, loginAs } from '../helpers/staff';

describe('customer-service events over HTTP', () => {
  let app: RunningApp;
  let db: { database: string; drop: () => Promise<void> };

  beforeAll(async () => {
    db = await freshDatabase();
    app = await startTestApp({ mysql: { database: db.database }, redis: { key_prefix: freshRedisPrefix() } });
  });
  afterAll(async () => {
    await app.stop();
    await db.drop();
  });

  it('when an agent creates an event, then it is pending, handled by them, with one record', async () => {
    const agent = await loginAs(app, ['cs_agent']);
    const created = await call<{ id: number; status: string; handler_id: number }>(
      app,
      'POST',
      '/api/cs/events',
      agent,
      {
        user_type: 'user',
        source: 'phone',
        content: 'the rider was rude',
      },
    );
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ status: 'pending', handler_id: agent.id });
    const records = await call<unknown[]>(app, 'GET', `/api/cs/events/${created.body.data.id}/records`, agent);
    expect(records.body.data).toHaveLength(1);
  });
});
