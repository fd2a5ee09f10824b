import type { Redis } from 'ioredis';
import { QueryTypes, type Sequelize } from 'sequelize';
import { Cache } from '../../src/core/db/cache';
import { redisConnection } from '../../src/core/db/redis';
import { createSequelize } from '../../src/core/db/mysql';
import { defineCsModels } from '../../src/model/cs-event';
import { CsCategoryService } from '../../src/service/cs/cs-category-service';
import { CsEventService } from '../../src/service/cs/cs-event-service';
import { CS_STATUSES, type Actor, type CsStatus, type NewCsEvent } from '../../src/service/cs/cs-types';
import { CsCacheInner } from '../../src/service/cs/inner/cs-cache-inner';
import { CsCategoryInner } from '../../src/service/cs/inner/cs-category-inner';
import { CsEventInner } from '../../src/service/cs/inner/cs-event-inner';
import { testConfig } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';

type Hook = (() => Promise<unknown>) | undefined;

/** The real stats cache, with a hook that runs once just before a write's deltas are applied (after its commit). */
class StatsCacheWithHook extends CsCacheInner {
  beforeDeltas: Hook;

  override async applyDeltas(...args: Parameters<CsCacheInner['applyDeltas']>): Promise<void> {
    const hook = this.beforeDeltas;
    this.beforeDeltas = undefined;
    if (hook) await hook();
    return super.applyDeltas(...args);
  }
}

/** The real inner layer, with a hook that runs once right after a stats count in MySQL returned. */
class CountWithHook extends CsEventInner {
  afterCount: Hook;

  override async countByStatus(): Promise<Record<string, number>> {
    const counts = await super.countByStatus();
    const hook = this.afterCount;
    this.afterCount = undefined;
    if (hook) await hook();
    return counts;
  }
}

const actor: Actor = { id: 77, admin: false };
const body: NewCsEvent = {
  user_id: null,
  user_type: 'user',
  phone: '',
  order_id: null,
  source: 'phone',
  category_id: null,
  priority: 0,
  compensation: 0,
  content: 'race',
};

let db: { database: string; drop: () => Promise<void> };
let sequelize: Sequelize;
let redis: Redis;
let statsCache: StatsCacheWithHook;
let inner: CountWithHook;
let service: CsEventService;

beforeAll(async () => {
  db = await freshDatabase();
  const config = testConfig({ mysql: { database: db.database }, redis: { key_prefix: freshRedisPrefix() } });
  sequelize = createSequelize(config);
  redis = redisConnection(config, 'main');
  await redis.connect();
  const models = defineCsModels(sequelize);
  const cache = new Cache(redis, 'cs.cache');
  inner = new CountWithHook(sequelize, models);
  statsCache = new StatsCacheWithHook(redis, cache);
  service = new CsEventService(inner, statsCache, new CsCategoryService(new CsCategoryInner(models), inner, cache));
});

afterAll(async () => {
  await sequelize.close();
  redis.disconnect();
  await db.drop();
});

async function countsInMysql(): Promise<Record<CsStatus, number>> {
  const rows = await sequelize.query<{ status: CsStatus; n: string | number }>(
    'SELECT status, COUNT(*) AS n FROM cs_event WHERE deleted_id = 0 GROUP BY status',
    { type: QueryTypes.SELECT },
  );
  const counts = Object.fromEntries(CS_STATUSES.map((s) => [s, 0])) as Record<CsStatus, number>;
  for (const row of rows) counts[row.status] = Number(row.n);
  return counts;
}

describe('a stats read racing a write', () => {
  beforeEach(async () => {
    await redis.del('cs:stats');
  });

  it('when the counts are read and cached after a create committed but before its delta is applied, then the delta is not counted twice', async () => {
    await service.create(actor, body);
    await redis.del('cs:stats');
    let seenMeanwhile: Record<CsStatus, number> | undefined;
    statsCache.beforeDeltas = async () => {
      seenMeanwhile = await service.stats();
    };

    await service.create(actor, body);

    expect(seenMeanwhile?.pending).toBe(2);
    expect(await service.stats()).toEqual(await countsInMysql());
    expect((await service.stats()).pending).toBe(2);
  });

  it('when the counts are read in the same window of a transition, then neither status is off by one', async () => {
    const event = await service.create(actor, body);
    await redis.del('cs:stats');
    statsCache.beforeDeltas = () => service.stats();

    await service.transition(actor, event.id, { to: 'done' });

    expect(await service.stats()).toEqual(await countsInMysql());
  });

  it('when the counts are read in the same window of a delete, then the deleted event is not subtracted twice', async () => {
    const event = await service.create(actor, body);
    await redis.del('cs:stats');
    statsCache.beforeDeltas = () => service.stats();

    await service.remove({ id: 1, admin: true }, event.id);

    expect(await service.stats()).toEqual(await countsInMysql());
  });

  it('when a whole write lands between the MySQL count and storing it, then the stale count is not cached', async () => {
    inner.afterCount = () => service.create(actor, body);

    const stale = await service.stats();

    expect(stale.pending).toBe((await countsInMysql()).pending - 1);
    expect(await service.stats()).toEqual(await countsInMysql());
  });

  it('when a write fails after it began, then the counts are cached again on the next read', async () => {
    await expect(service.transition(actor, 999999, { to: 'done' })).rejects.toMatchObject({ code: 1100 });

    await service.stats();

    expect(Object.keys(await redis.hgetall('cs:stats')).length).toBeGreaterThan(0);
    expect(await service.stats()).toEqual(await countsInMysql());
  });
});
