import { Redis } from 'ioredis';
import type { AppModules, RunningApp } from '../../src/core/app/app';
import { createAuthorize } from '../../src/core/auth/authorize';
import { SessionStore } from '../../src/core/auth/sessions';
import { redisConnection } from '../../src/core/db/redis';
import { createSequelize } from '../../src/core/db/mysql';
import { appModules } from '../../src/modules';
import { ACCESS } from '../../src/domains';
import { createCsDomain, type CsDomain } from '../../src/service/cs';
import type { CsEvent, CsStatus, Page } from '../../src/service/cs/cs-types';
import { startTestApp, testConfig } from '../helpers/app';
import { countsInMysql, createEvent } from '../helpers/cs';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { dropKeys, rawRedis } from '../helpers/redis';
import { type RedisServer, startRedisServer } from '../helpers/servers';
import { call, type LoggedIn, loginAs } from '../helpers/staff';
import { waitFor } from '../helpers/wait';
import { listenStatsd, type StatsdListener } from '../helpers/statsd-listener';

/**
 * Redis stops mid-test: a redis-server of this file's own is killed and
 * started again. Sessions live in Redis too, so with the production wiring an
 * authenticated request cannot be served while it is down; that is asserted
 * as a clear ServerError. To see cached reads over HTTP fall through to
 * MySQL, a second app keeps its sessions on the test's main Redis and only
 * its cache on the one that stops.
 */
const STATSD_PREFIX = `outage-${process.pid}.`;
const prefix = freshRedisPrefix();

let cacheServer: RedisServer;
let db: { database: string; drop: () => Promise<void> };
let sessionRedis: Redis;
let production: RunningApp;
let splitSessions: RunningApp;
let logs: LogCapture;
let statsdListener: StatsdListener;
/** The cs domain built straight from createCsDomain on its own connections to the same MySQL and Redis. */
let direct: { cs: CsDomain; close: () => Promise<void> };
/** A client on the stopping Redis, to look at the cache keys. */
let peek: Redis;

let agent: LoggedIn;
let splitAgent: LoggedIn;
let event: CsEvent;

function sessionsOn(store: SessionStore): AppModules {
  return { ...appModules(), authorize: () => createAuthorize(store, ACCESS) };
}

beforeAll(async () => {
  cacheServer = await startRedisServer();
  db = await freshDatabase();
  statsdListener = await listenStatsd();
  const overrides = {
    mysql: { database: db.database },
    redis: { url: cacheServer.url, key_prefix: prefix },
    statsd: { enabled: true, host: '127.0.0.1', port: statsdListener.port, prefix: STATSD_PREFIX },
    log: { level: 'info' as const },
  };
  sessionRedis = redisConnection(testConfig({ redis: { key_prefix: `${prefix}sessions:` } }), 'sessions');
  await sessionRedis.connect();
  const sessions = new SessionStore(sessionRedis, 3600);
  // The session outage fallback is off here: auth-session-outage.test.ts covers it.
  production = await startTestApp({ ...overrides, auth: { session_outage_grace_ms: 0 } });
  splitSessions = await startTestApp(overrides, sessionsOn(sessions));
  logs = captureLogs();

  const directConfig = testConfig(overrides);
  const sequelize = createSequelize(directConfig);
  const redis = redisConnection(directConfig, 'direct');
  await redis.connect();
  direct = {
    cs: createCsDomain(sequelize, redis),
    close: async () => {
      await sequelize.close();
      redis.disconnect();
    },
  };
  peek = new Redis(cacheServer.url, {
    keyPrefix: prefix,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    lazyConnect: true,
  });
  peek.on('error', () => undefined);
  await peek.connect();

  agent = await loginAs(production, ['cs_agent']);
  const { token } = await sessions.create({ staff_id: agent.id, username: 'split-agent', roles: ['cs_agent'] });
  splitAgent = {
    id: agent.id,
    token,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  };
}, 60000);

afterAll(async () => {
  peek?.disconnect();
  await direct?.close();
  await splitSessions?.stop();
  await production?.stop();
  const raw = rawRedis();
  await dropKeys(raw, `${prefix}sessions:`).catch(() => undefined);
  raw.disconnect();
  sessionRedis?.disconnect();
  await cacheServer?.kill();
  await statsdListener.close();
  await db?.drop();
});

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
function counted(metric: string): Promise<string> {
  const pattern = new RegExp(`^${escape(STATSD_PREFIX + metric)}:\\d+\\|c`);
  return waitFor(() => statsdListener.lines.find((l) => pattern.test(l)), 5000, `a statsd count of ${metric}`);
}

describe('when the cache Redis stops and comes back', () => {
  it('while Redis is up, then a read of an event and of the stats fill the cache', async () => {
    event = await createEvent(production, agent, { phone: '555-0142' });

    const read = await call<CsEvent>(splitSessions, 'GET', `/api/cs/events/${event.id}`, splitAgent);
    const stats = await call(splitSessions, 'GET', '/api/cs/stats', splitAgent);

    expect(read.status).toBe(200);
    expect(stats.status).toBe(200);
    expect(await peek.exists(`cs:event:${event.id}`)).toBe(1);
    expect(await peek.exists('cs:stats')).toBe(1);
  });

  it('when Redis is killed, then GET event, stats and list still answer 200 from MySQL, and the outage is logged and counted', async () => {
    await cacheServer.kill();

    const read = await call<CsEvent>(splitSessions, 'GET', `/api/cs/events/${event.id}`, splitAgent);
    const stats = await call<Record<CsStatus, number>>(splitSessions, 'GET', '/api/cs/stats', splitAgent);
    const list = await call<Page<CsEvent>>(splitSessions, 'GET', '/api/cs/events?phone=555-0142', splitAgent);

    expect(read.status).toBe(200);
    expect(read.body.data).toEqual(event);
    expect(stats.status).toBe(200);
    expect(stats.body.data).toEqual(await countsInMysql(production));
    expect(list.status).toBe(200);
    expect(list.body.data.items.map((e) => e.id)).toEqual([event.id]);
    // One line for the outage, whichever client or cache saw it first (core/log/outage).
    await logs.find((l) => l.message === 'redis is down; what needs it answers 503 until it is back');
    expect(logs.lines.filter((l) => l.message === 'cache unavailable; reading from the source')).toEqual([]);
    await counted('cs.cache.error');
    await counted('cs.stats.cache_error');
  });

  it('when Redis is down, then writes still succeed and the stats read from MySQL follow them', async () => {
    const created = await call<CsEvent>(splitSessions, 'POST', '/api/cs/events', splitAgent, {
      user_type: 'merchant',
      source: 'email',
      content: 'written while Redis is down',
    });
    const moved = await call<CsEvent>(
      splitSessions,
      'POST',
      `/api/cs/events/${created.body.data.id}/transition`,
      splitAgent,
      { to: 'done' },
    );
    const stats = await call<Record<CsStatus, number>>(splitSessions, 'GET', '/api/cs/stats', splitAgent);

    expect(created.status).toBe(201);
    expect(moved.status).toBe(200);
    expect(stats.body.data).toEqual(await countsInMysql(production));
    expect(stats.body.data.done).toBe(1);
  });

  it('when Redis is down and the service is called directly, then get, stats and list fall through to MySQL', async () => {
    const cs = direct.cs;

    expect(await cs.events.get(event.id)).toEqual(event);
    expect(await cs.events.stats()).toEqual(await countsInMysql(production));
    expect((await cs.events.list({ phone: '555-0142' }, { page: 1, pageSize: 10 })).items.map((e) => e.id)).toEqual([
      event.id,
    ]);
  });

  it('when Redis is down and sessions live in it (the production wiring, no outage grace), then an authenticated request is a 503 with code 300, Retry-After and no internals', async () => {
    const res = await call(production, 'GET', `/api/cs/events/${event.id}`, agent);

    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.body).toMatchObject({ code: 300, msg: 'The cache failed to answer; try again shortly.', data: null });
    expect(Object.keys(res.body).sort()).toEqual(['code', 'data', 'msg', 'request_id']);
    expect(JSON.stringify(res.body)).not.toMatch(/stack|ECONNREFUSED|writeable/i);
    expect(res.headers.get('x-request-id')).toBe(res.body.request_id);
  });

  it('when Redis is started again, then reads are cached again and a new login works', async () => {
    await cacheServer.restart();
    await waitFor(
      () => (splitSessions.resources.redis.status === 'ready' ? true : undefined),
      10000,
      'the app reconnecting to Redis',
    );
    await waitFor(
      () => (production.resources.redis.status === 'ready' ? true : undefined),
      10000,
      'the app reconnecting to Redis',
    );
    await peek.connect().catch(() => undefined);
    await waitFor(() => (peek.status === 'ready' ? true : undefined), 10000, 'the peek client reconnecting');

    const read = await call<CsEvent>(splitSessions, 'GET', `/api/cs/events/${event.id}`, splitAgent);
    const stats = await call<Record<CsStatus, number>>(splitSessions, 'GET', '/api/cs/stats', splitAgent);

    expect(read.status).toBe(200);
    expect(read.body.data).toEqual(event);
    expect(await peek.exists(`cs:event:${event.id}`)).toBe(1);
    expect(stats.body.data).toEqual(await countsInMysql(production));
    expect(await peek.exists('cs:stats')).toBe(1);
    const again = await loginAs(production, ['cs_agent']);
    expect((await call(production, 'GET', `/api/cs/events/${event.id}`, again)).status).toBe(200);
  });
});
