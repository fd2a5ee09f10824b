import { Cache } from '../../src/core/db/cache';
import type { CsStatus } from '../../src/service/cs/cs-types';
import { CsCacheInner } from '../../src/service/cs/inner/cs-cache-inner';
import { appWithOwnData, countsInMysql, createEvent, moveEvent } from '../helpers/cs';
import { call, type LoggedIn, loginAs } from '../helpers/staff';

const app = appWithOwnData();

let agent: LoggedIn;
let admin: LoggedIn;

beforeAll(async () => {
  agent = await loginAs(app(), ['cs_agent']);
  admin = await loginAs(app(), ['cs_admin']);
});

async function stats(): Promise<Record<CsStatus, number>> {
  const res = await call<Record<CsStatus, number>>(app(), 'GET', '/api/cs/stats', agent);
  if (res.status !== 200) throw new Error(`GET /api/cs/stats answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/** The counts as cached in Redis (the hash behind GET /api/cs/stats), without its marker field. */
async function cachedCounts(): Promise<Record<string, number> | undefined> {
  const hash = await app().resources.redis.hgetall('cs:stats');
  if (Object.keys(hash).length === 0) return undefined;
  return Object.fromEntries(
    Object.entries(hash)
      .filter(([k]) => k !== '_')
      .map(([k, v]) => [k, Number(v)]),
  );
}

/** What GET /api/cs/stats answers and what Redis holds both equal the MySQL count. */
async function expectStatsRight(): Promise<Record<CsStatus, number>> {
  const mysql = await countsInMysql(app());
  expect(await stats()).toEqual(mysql);
  const cached = await cachedCounts();
  expect(cached).toBeDefined();
  for (const [status, n] of Object.entries(mysql)) expect(cached?.[status] ?? 0).toBe(n);
  return mysql;
}

describe('per-status counts', () => {
  it('when there are no events, then every status counts 0 and the counts are cached', async () => {
    expect(await stats()).toEqual({ pending: 0, remain: 0, follow_up: 0, forward: 0, done: 0 });
    expect(await cachedCounts()).toEqual({});
  });

  it('when events are created, moved and deleted, then GET /api/cs/stats equals the MySQL count after every step', async () => {
    const a = await createEvent(app(), agent);
    const b = await createEvent(app(), agent);
    const c = await createEvent(app(), agent);
    expect(await expectStatsRight()).toMatchObject({ pending: 3 });

    await moveEvent(app(), agent, a.id, 'remain');
    expect(await expectStatsRight()).toMatchObject({ pending: 2, remain: 1 });

    await moveEvent(app(), agent, a.id, 'forward', admin.id);
    await moveEvent(app(), agent, b.id, 'follow_up');
    expect(await expectStatsRight()).toMatchObject({ pending: 1, remain: 0, forward: 1, follow_up: 1 });

    await moveEvent(app(), agent, b.id, 'done');
    expect(await expectStatsRight()).toMatchObject({ follow_up: 0, done: 1 });

    await call(app(), 'DELETE', `/api/cs/events/${c.id}`, admin);
    await call(app(), 'DELETE', `/api/cs/events/${b.id}`, admin);
    expect(await expectStatsRight()).toEqual({ pending: 0, remain: 0, follow_up: 0, forward: 1, done: 0 });
  });

  it('when a change is refused (409, 403) or only patches fields, then the counts do not move', async () => {
    const event = await createEvent(app(), agent);
    const before = await expectStatsRight();
    const colleague = await loginAs(app(), ['cs_agent']);

    await call(app(), 'POST', `/api/cs/events/${event.id}/transition`, agent, { to: 'pending' });
    await call(app(), 'POST', `/api/cs/events/${event.id}/transition`, colleague, { to: 'done' });
    await call(app(), 'PATCH', `/api/cs/events/${event.id}`, agent, { priority: 3 });

    expect(await expectStatsRight()).toEqual(before);
  });

  it('when the Redis counts are deleted, then the next GET counts in MySQL, caches again, and later writes keep it right', async () => {
    const before = await expectStatsRight();
    expect(await app().resources.redis.del('cs:stats')).toBe(1);

    expect(await stats()).toEqual(before);
    expect(await cachedCounts()).toBeDefined();

    const event = await createEvent(app(), agent);
    await moveEvent(app(), agent, event.id, 'done');
    expect(await expectStatsRight()).toEqual({ ...before, done: before.done + 1 });
  });

  it('when writes happen while the counts are not cached, then the first GET afterwards still equals MySQL', async () => {
    await app().resources.redis.del('cs:stats');

    const event = await createEvent(app(), agent);
    await moveEvent(app(), agent, event.id, 'remain');
    expect(await cachedCounts()).toBeUndefined();

    await expectStatsRight();
  });

  it('when the counts in Redis are wrong, then GET serves them: the answer comes from Redis, not MySQL', async () => {
    await stats();
    await app().resources.redis.hset('cs:stats', 'remain', '999');

    expect((await stats()).remain).toBe(999);

    await app().resources.redis.del('cs:stats');
    await expectStatsRight();
  });
});

describe('the under-way mark of writes', () => {
  const TTL_MS = 300;

  /** A counter store whose unfinished writes lapse after TTL_MS, on the app's Redis and prefix. */
  function inner(): CsCacheInner {
    const redis = app().resources.redis;
    return new CsCacheInner(redis, new Cache(redis), TTL_MS);
  }

  /** Tries to cache counts as a reader after a MySQL count would; true when they were stored. */
  async function storeAsReader(store: CsCacheInner): Promise<boolean> {
    await app().resources.redis.del('cs:stats');
    const read = await store.getCounts();
    if (!('miss' in read) || read.version === undefined) throw new Error('expected a miss with a version');
    await store.storeCounts(read.version, { pending: 1 });
    return (await cachedCounts()) !== undefined;
  }

  it('when a write never ends while others keep coming, then its mark lapses on its own and counts are cached again', async () => {
    const store = inner();
    await store.beginWrite(); // never ended: its process died, or its transaction rolled back

    expect(await storeAsReader(store)).toBe(false);
    const until = Date.now() + TTL_MS * 2;
    while (Date.now() < until) {
      const began = await store.beginWrite();
      await store.applyDeltas({}, began);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    expect(await storeAsReader(store)).toBe(true);
  });

  it('when a write ends, then its own mark goes at once and another under way still holds counts out', async () => {
    const store = inner();
    const first = await store.beginWrite();
    const second = await store.beginWrite();

    await store.applyDeltas({}, first);
    expect(await storeAsReader(store)).toBe(false);
    await store.applyDeltas({}, second);
    expect(await storeAsReader(store)).toBe(true);
  });
});
