import type { Sequelize } from 'sequelize';
import { createSequelize } from '../../src/core/db/mysql';
import { softDeleteById } from '../../src/model/base';
import { defineCsModels, type CsModels } from '../../src/model/cs-event';
import { UserError } from '../../src/exception';
import type { CsEvent, CsStatus } from '../../src/service/cs/cs-types';
import { CsCategoryInner } from '../../src/service/cs/inner/cs-category-inner';
import { testConfig } from '../helpers/app';
import { appWithOwnData, countsInMysql, createEvent, select, storedEvent, storedRecords } from '../helpers/cs';
import { call, type LoggedIn, loginAs } from '../helpers/staff';

const app = appWithOwnData();

let agent: LoggedIn;
let admin: LoggedIn;

beforeAll(async () => {
  agent = await loginAs(app(), ['cs_agent']);
  admin = await loginAs(app(), ['cs_admin']);
});

function stats() {
  return call<Record<CsStatus, number>>(app(), 'GET', '/api/cs/stats', agent);
}

describe('a soft-deleted event is hidden', () => {
  it('when an admin deletes an event, then GET is 404, the list and the stats leave it out, and the row stays with a delete record', async () => {
    const event = await createEvent(app(), agent, { phone: '555-0199' });
    const statsBefore = (await stats()).body.data;
    const cached = await call<CsEvent>(app(), 'GET', `/api/cs/events/${event.id}`, agent);
    expect(cached.status).toBe(200);

    const res = await call(app(), 'DELETE', `/api/cs/events/${event.id}`, admin);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ code: 0, msg: 'ok', data: null });
    const get = await call(app(), 'GET', `/api/cs/events/${event.id}`, agent);
    expect([get.status, get.body.code]).toEqual([404, 1100]);
    const records = await call(app(), 'GET', `/api/cs/events/${event.id}/records`, agent);
    expect(records.status).toBe(404);
    const list = await call<{ items: CsEvent[]; total: number }>(app(), 'GET', '/api/cs/events?phone=555-0199', agent);
    expect(list.body.data).toMatchObject({ items: [], total: 0 });
    const statsAfter = (await stats()).body.data;
    expect(statsAfter).toEqual({ ...statsBefore, pending: statsBefore.pending - 1 });
    expect(statsAfter).toEqual(await countsInMysql(app()));
    const row = await storedEvent(app(), event.id);
    expect(row).toMatchObject({ deleted_id: String(event.id), status: 'pending' });
    expect(row?.deleted_at).not.toBeNull();
    expect((await storedRecords(app(), event.id)).map((r) => [r.action, r.actor_id])).toEqual([
      ['create', String(agent.id)],
      ['delete', String(admin.id)],
    ]);
  });

  it('when a deleted event is deleted, moved or patched again, then 404 code 1100 and nothing more is written', async () => {
    const event = await createEvent(app(), agent);
    await call(app(), 'DELETE', `/api/cs/events/${event.id}`, admin);

    const again = await call(app(), 'DELETE', `/api/cs/events/${event.id}`, admin);
    const moved = await call(app(), 'POST', `/api/cs/events/${event.id}/transition`, admin, { to: 'done' });
    const patched = await call(app(), 'PATCH', `/api/cs/events/${event.id}`, admin, { priority: 2 });

    expect([again, moved, patched].map((r) => [r.status, r.body.code])).toEqual([
      [404, 1100],
      [404, 1100],
      [404, 1100],
    ]);
    expect(await storedRecords(app(), event.id)).toHaveLength(2);
  });

  it('when an agent tries to delete, then 403 code 950 naming cs_event.admin and the event stays', async () => {
    const event = await createEvent(app(), agent);

    const res = await call(app(), 'DELETE', `/api/cs/events/${event.id}`, agent);

    expect(res.status).toBe(403);
    expect(res.body.code).toBe(950);
    expect(res.body.msg).toContain('cs_event.admin');
    expect(await storedEvent(app(), event.id)).toMatchObject({ deleted_id: '0' });
  });

  it('when a done event is deleted, then the done count goes down', async () => {
    const event = await createEvent(app(), agent);
    await call(app(), 'POST', `/api/cs/events/${event.id}/transition`, agent, { to: 'done' });
    const before = (await stats()).body.data;

    await call(app(), 'DELETE', `/api/cs/events/${event.id}`, admin);

    expect((await stats()).body.data).toEqual({ ...before, done: before.done - 1 });
  });
});

describe('a soft delete frees unique keys', () => {
  it('when an event with request_key K is deleted, then a create with K makes a new event and both rows keep K', async () => {
    const key = `delete-frees-${Date.now()}`;
    const first = await createEvent(app(), agent, { request_key: key, content: 'first' });
    await call(app(), 'DELETE', `/api/cs/events/${first.id}`, admin);

    const second = await call<CsEvent>(app(), 'POST', '/api/cs/events', agent, {
      user_type: 'user',
      source: 'phone',
      content: 'second',
      request_key: key,
    });

    expect(second.status).toBe(201);
    expect(second.body.data.id).not.toBe(first.id);
    expect(second.body.data.content).toBe('second');
    const rows = await select<{ id: string; deleted_id: string }>(
      app(),
      'SELECT id, deleted_id FROM cs_event WHERE request_key = :key ORDER BY id',
      { key },
    );
    expect(rows).toEqual([
      { id: String(first.id), deleted_id: String(first.id) },
      { id: String(second.body.data.id), deleted_id: '0' },
    ]);
  });

  describe('in the inner layer, a category name under one parent', () => {
    let sequelize: Sequelize;
    let models: CsModels;
    let categories: CsCategoryInner;

    beforeAll(() => {
      sequelize = createSequelize(testConfig({ mysql: { database: app().resources.config.mysql.database } }));
      models = defineCsModels(sequelize);
      categories = new CsCategoryInner(models);
    });
    afterAll(async () => {
      await sequelize.close();
    });

    it('when a live category has the name, then inserting it again under the same parent is CS_CATEGORY_CONFLICT', async () => {
      const parent = await sequelize.transaction((tx) =>
        categories.insert(tx, { parent_id: 0, level: 1, name: 'Delivery', is_valid: true }),
      );
      await sequelize.transaction((tx) =>
        categories.insert(tx, { parent_id: parent, level: 2, name: 'Late', is_valid: true }),
      );

      const again = sequelize.transaction((tx) =>
        categories.insert(tx, { parent_id: parent, level: 2, name: 'Late', is_valid: true }),
      );

      await expect(again).rejects.toBeInstanceOf(UserError);
      await expect(again).rejects.toMatchObject({ errorName: 'CS_CATEGORY_CONFLICT', code: 1106 });
    });

    it('when the category is soft-deleted, then the name is free under that parent, and the deleted one is hidden', async () => {
      const parent = await sequelize.transaction((tx) =>
        categories.insert(tx, { parent_id: 0, level: 1, name: 'Refunds', is_valid: true }),
      );
      const old = await sequelize.transaction((tx) =>
        categories.insert(tx, { parent_id: parent, level: 2, name: 'Partial', is_valid: true }),
      );

      const deleted = await sequelize.transaction((tx) => softDeleteById(models.CsCategory, old, tx));
      const fresh = await sequelize.transaction((tx) =>
        categories.insert(tx, { parent_id: parent, level: 2, name: 'Partial', is_valid: true }),
      );
      const deletedTwice = await sequelize.transaction((tx) => softDeleteById(models.CsCategory, old, tx));

      expect(deleted).toBe(true);
      expect(deletedTwice).toBe(false);
      expect(fresh).not.toBe(old);
      expect(await categories.find(old)).toBeUndefined();
      expect(await categories.find(fresh)).toMatchObject({ name: 'Partial', parent_id: parent });
      const names = (await categories.listAll()).filter((c) => c.parent_id === parent).map((c) => [c.id, c.name]);
      expect(names).toEqual([[fresh, 'Partial']]);
      const rows = await select<{ id: string; deleted_id: string }>(
        app(),
        "SELECT id, deleted_id FROM cs_event_category WHERE parent_id = :parent AND name = 'Partial' ORDER BY id",
        { parent },
      );
      expect(rows).toEqual([
        { id: String(old), deleted_id: String(old) },
        { id: String(fresh), deleted_id: '0' },
      ]);
    });

    it('when the same name is used under another parent, then it is no conflict', async () => {
      const a = await sequelize.transaction((tx) =>
        categories.insert(tx, { parent_id: 0, level: 1, name: 'Food', is_valid: true }),
      );
      const b = await sequelize.transaction((tx) =>
        categories.insert(tx, { parent_id: 0, level: 1, name: 'Drinks', is_valid: true }),
      );

      const underA = await sequelize.transaction((tx) =>
        categories.insert(tx, { parent_id: a, level: 2, name: 'Cold', is_valid: true }),
      );
      const underB = await sequelize.transaction((tx) =>
        categories.insert(tx, { parent_id: b, level: 2, name: 'Cold', is_valid: true }),
      );

      expect(underA).not.toBe(underB);
    });
  });
});
