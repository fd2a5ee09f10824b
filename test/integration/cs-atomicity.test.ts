import type { Redis } from 'ioredis';
import { QueryTypes, type Sequelize } from 'sequelize';
import { Cache } from '../../src/core/db/cache';
import { redisConnection } from '../../src/core/db/redis';
import { createSequelize } from '../../src/core/db/mysql';
import { executeSelect, type StatementScope } from '../../src/core/db/statements';
import { defineCsModels } from '../../src/model/cs-event';
import { CsCategoryService } from '../../src/service/cs/cs-category-service';
import { CsEventService } from '../../src/service/cs/cs-event-service';
import {
  CS_STATUSES,
  type Actor,
  type CsRecordAction,
  type CsStatus,
  type NewCsEvent,
} from '../../src/service/cs/cs-types';
import { CsCacheInner } from '../../src/service/cs/inner/cs-cache-inner';
import { CsCategoryInner } from '../../src/service/cs/inner/cs-category-inner';
import { CsEventInner, type NewRecord } from '../../src/service/cs/inner/cs-event-inner';
import { testConfig } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';

/**
 * The real inner layer on the real database, except that writing a record of
 * the chosen action fails — after the event write of the same transaction
 * ran, which it checks by reading the event inside that transaction.
 */
class RecordStoreThatFails extends CsEventInner {
  failOn: CsRecordAction | undefined;
  /** The event row as the failing transaction saw it just before the failure. */
  seenInTransaction: { status: string; deleted_id: string } | null | undefined;

  constructor(db: Sequelize, models: ReturnType<typeof defineCsModels>) {
    super(db, models);
  }

  override async insertRecord(tx: StatementScope, record: NewRecord, at: Date): Promise<void> {
    if (record.action !== this.failOn) return super.insertRecord(tx, record, at);
    const rows = await executeSelect<{ status: string; deleted_id: string }>(
      tx,
      'SELECT status, deleted_id FROM cs_event WHERE id = ?',
      [record.event_id],
    );
    this.seenInTransaction = rows[0] ?? null;
    throw new Error('the record store failed');
  }
}

/** The soft delete runs, then the transaction fails before it commits. */
class DeleteThatFailsAfterward extends CsEventInner {
  override async softDeleteEvent(tx: StatementScope, id: number, at: Date): Promise<boolean> {
    await super.softDeleteEvent(tx, id, at);
    throw new Error('the transaction failed after the soft delete');
  }
}

const actor: Actor = { id: 501, admin: false };

function newEvent(content: string): NewCsEvent {
  return {
    user_id: 7,
    user_type: 'user',
    phone: '555-0100',
    order_id: null,
    source: 'phone',
    category_id: null,
    priority: 1,
    compensation: 0,
    content,
  };
}

let db: { database: string; drop: () => Promise<void> };
let sequelize: Sequelize;
let redis: Redis;
let inner: RecordStoreThatFails;
let service: CsEventService;
let failingDelete: CsEventService;

beforeAll(async () => {
  db = await freshDatabase();
  const config = testConfig({ mysql: { database: db.database }, redis: { key_prefix: freshRedisPrefix() } });
  sequelize = createSequelize(config);
  redis = redisConnection(config, 'main');
  await redis.connect();
  const models = defineCsModels(sequelize);
  const cache = new Cache(redis, 'cs.cache');
  inner = new RecordStoreThatFails(sequelize, models);
  const categories = new CsCategoryService(new CsCategoryInner(models), inner, cache);
  service = new CsEventService(inner, new CsCacheInner(redis, cache), categories);
  failingDelete = new CsEventService(
    new DeleteThatFailsAfterward(sequelize, models),
    new CsCacheInner(redis, cache),
    categories,
  );
});

afterAll(async () => {
  await sequelize.close();
  redis.disconnect();
  await db.drop();
});

beforeEach(() => {
  inner.failOn = undefined;
  inner.seenInTransaction = undefined;
});

async function count(sql: string, replacements: Record<string, unknown>): Promise<number> {
  const rows = await sequelize.query<{ n: string | number }>(sql, { type: QueryTypes.SELECT, replacements });
  return Number(rows[0]?.n);
}

async function countsInMysql(): Promise<Record<CsStatus, number>> {
  const rows = await sequelize.query<{ status: CsStatus; n: string | number }>(
    'SELECT status, COUNT(*) AS n FROM cs_event WHERE deleted_id = 0 GROUP BY status',
    { type: QueryTypes.SELECT },
  );
  const counts = Object.fromEntries(CS_STATUSES.map((s) => [s, 0])) as Record<CsStatus, number>;
  for (const row of rows) counts[row.status] = Number(row.n);
  return counts;
}

describe('an event and its record are written together or not at all', () => {
  it('when writing the first record fails after the event was inserted, then neither the event nor any record exists', async () => {
    await service.stats();
    inner.failOn = 'create';

    await expect(service.create(actor, newEvent('atomic create'))).rejects.toThrow('the record store failed');

    expect(inner.seenInTransaction).toMatchObject({ status: 'pending' });
    expect(await count("SELECT COUNT(*) AS n FROM cs_event WHERE content = 'atomic create'", {})).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM cs_event_record', {})).toBe(0);
    expect(await service.stats()).toEqual(await countsInMysql());
  });

  it('when writing a transition record fails after the status was updated, then the status is unchanged and no record is added', async () => {
    const event = await service.create(actor, newEvent('atomic transition'));
    inner.failOn = 'transition';

    await expect(service.transition(actor, event.id, { to: 'done' })).rejects.toThrow('the record store failed');

    expect(inner.seenInTransaction).toMatchObject({ status: 'done' });
    expect((await service.getFresh(event.id)).status).toBe('pending');
    expect(await count('SELECT COUNT(*) AS n FROM cs_event_record WHERE event_id = :id', { id: event.id })).toBe(1);
    expect(await service.stats()).toEqual(await countsInMysql());
  });

  it('when writing an update record fails, then the fields are unchanged', async () => {
    const event = await service.create(actor, newEvent('atomic update'));
    inner.failOn = 'update';

    await expect(service.update(actor, event.id, { priority: 3 })).rejects.toThrow('the record store failed');

    expect((await service.getFresh(event.id)).priority).toBe(1);
    expect(await count('SELECT COUNT(*) AS n FROM cs_event_record WHERE event_id = :id', { id: event.id })).toBe(1);
  });

  it('when a delete fails after the soft delete ran, then the event is still alive and has no delete record', async () => {
    const event = await service.create(actor, newEvent('atomic delete'));

    await expect(failingDelete.remove({ id: 1, admin: true }, event.id)).rejects.toThrow('after the soft delete');

    expect(await count('SELECT COUNT(*) AS n FROM cs_event WHERE id = :id AND deleted_id = 0', { id: event.id })).toBe(
      1,
    );
    expect(
      await count("SELECT COUNT(*) AS n FROM cs_event_record WHERE event_id = :id AND action = 'delete'", {
        id: event.id,
      }),
    ).toBe(0);
    expect(await service.stats()).toEqual(await countsInMysql());
  });

  it('when nothing fails, then the same service writes the event with its record (the failures above were the only cause)', async () => {
    const event = await service.create(actor, newEvent('atomic ok'));
    await service.transition(actor, event.id, { to: 'done' });

    expect(await count('SELECT COUNT(*) AS n FROM cs_event_record WHERE event_id = :id', { id: event.id })).toBe(2);
    expect((await service.getFresh(event.id)).status).toBe('done');
  });
});
