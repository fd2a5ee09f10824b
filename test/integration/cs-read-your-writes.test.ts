import type { Redis } from 'ioredis';
import { QueryTypes, type Sequelize } from 'sequelize';
import { ensureDatabase } from '../../src/core/db/database';
import { migrator } from '../../src/core/db/migrate';
import { createSequelize, readYourWrites } from '../../src/core/db/mysql';
import { redisConnection } from '../../src/core/db/redis';
import { migrations } from '../../src/model/migrations';
import { createCsDomain, type CsDomain } from '../../src/service/cs';
import { MysqlFlaggedStore } from '../../src/service/risk/inner/mysql-flagged-store';
import type { Actor, NewCsEvent } from '../../src/service/cs/cs-types';
import { testConfig } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { flagged } from '../helpers/risk';
import { captureLogs, type LogCapture, type LogLine } from '../helpers/log-capture';
import { mariadbBinaries, type MariadbServer, startMariadbServer } from '../helpers/servers';

/**
 * The "replica" is a second MariaDB server holding the same schema and none
 * of the writes: a replica that lags forever. A read that must see a write
 * only does if it goes to the primary.
 */
const binaries = mariadbBinaries();
// CI has MariaDB (deploy/local-services.sh installs mariadb-server): there a missing server binary is a failure.
if (!binaries && process.env.CI) throw new Error('cs-read-your-writes: CI needs mariadbd and mariadb-install-db.');
const describeWithReplica = binaries ? describe : describe.skip;
if (!binaries)
  console.warn('cs-read-your-writes: no mariadbd/mariadb-install-db on this machine; skipping the replica tests.');

const actor: Actor = { id: 11, admin: false };
const body: NewCsEvent = {
  user_id: 5,
  user_type: 'merchant',
  phone: '555-0123',
  order_id: '42',
  source: 'email',
  category_id: null,
  priority: 2,
  compensation: 3.5,
  content: 'read your writes',
};

describeWithReplica('reads after writes with a lagging replica', () => {
  let replica: MariadbServer;
  let db: { database: string; drop: () => Promise<void> };
  let sequelize: Sequelize;
  let redis: Redis;
  let cs: CsDomain;
  let logs: LogCapture;

  beforeAll(async () => {
    replica = await startMariadbServer(binaries as NonNullable<typeof binaries>);
    db = await freshDatabase();
    const onReplica = testConfig({ mysql: { host: '127.0.0.1', port: replica.port, database: db.database } });
    await ensureDatabase(onReplica);
    const replicaSchema = createSequelize(onReplica);
    try {
      await migrator(replicaSchema, migrations).up();
    } finally {
      await replicaSchema.close();
    }
    const config = testConfig({
      mysql: { database: db.database, replicas: [`127.0.0.1:${replica.port}`] },
      redis: { key_prefix: freshRedisPrefix() },
      // Every query is then logged with the pool it went to.
      log: { slow_query_ms: 0 },
    });
    sequelize = createSequelize(config);
    redis = redisConnection(config, 'main');
    await redis.connect();
    cs = createCsDomain(sequelize, redis);
    logs = captureLogs();
  }, 120000);

  afterAll(async () => {
    await sequelize?.close();
    redis?.disconnect();
    await db?.drop();
    await replica?.stop();
  }, 60000);

  /** The pools of the queries `fn` ran, from their query log lines. */
  async function poolsOf(fn: () => Promise<unknown>): Promise<string[]> {
    const from = logs.lines.length;
    await fn().catch(() => undefined);
    return logs.lines
      .slice(from)
      .filter((l: LogLine) => l.message === 'slow query')
      .map((l) => String(l.pool));
  }

  it('when an event was just created, then the replica does not have it and getFresh (primary) returns it', async () => {
    const created = await cs.events.create(actor, body);

    const listed = await cs.events.list({ user_id: 5 }, { page: 1, pageSize: 1000 });
    expect(listed.items.map((e) => e.id)).not.toContain(created.id);
    expect(await cs.events.getFresh(created.id)).toEqual(created);
  });

  it('when an event was just created or moved, then get() fills its cache from the primary, so the replica lag is never cached', async () => {
    const created = await cs.events.create(actor, body);

    expect(await cs.events.get(created.id)).toEqual(created);
    await cs.events.transition(actor, created.id, { to: 'follow_up' });
    expect((await cs.events.get(created.id)).status).toBe('follow_up');
    expect(JSON.parse((await redis.get(`cs:event:${created.id}`)) ?? 'null')).toMatchObject({
      id: created.id,
      status: 'follow_up',
    });
  });

  it('when categories were just inserted, then the answer and the cached tree have them, and an event can be filed under one at once', async () => {
    const tree = await cs.categories.upsert([{ name: 'Refunds' }]);

    const refunds = tree.find((n) => n.name === 'Refunds');
    expect(refunds).toBeDefined();
    const event = await cs.events.create(actor, { ...body, category_id: refunds?.id ?? 0 });
    expect(event.category_id).toBe(refunds?.id);
    expect((await cs.categories.tree()).map((n) => n.name)).toContain('Refunds');
  });

  it('when a query carries readYourWrites, then it reads the primary; without it, the replica', async () => {
    const created = await cs.events.create(actor, body);
    const sql = 'SELECT id, content FROM cs_event WHERE id = :id';

    const plain = await sequelize.query(sql, { type: QueryTypes.SELECT, replacements: { id: created.id } });
    const fresh = await sequelize.query(
      sql,
      readYourWrites({ type: QueryTypes.SELECT, replacements: { id: created.id } }),
    );

    expect(plain).toEqual([]);
    expect(fresh).toEqual([{ id: String(created.id), content: 'read your writes' }]);
  });

  it('when an event just created is moved, then the change reads it on the primary inside its transaction and succeeds', async () => {
    const created = await cs.events.create(actor, body);

    const moved = await cs.events.transition(actor, created.id, { to: 'remain', note: 'right after the create' });

    expect(moved.status).toBe('remain');
    expect((await cs.events.getFresh(created.id)).status).toBe('remain');
  });

  it('when the query log is read, then getFresh ran on the primary only and a list on the replica only', async () => {
    const created = await cs.events.create(actor, body);

    const freshPools = await poolsOf(() => cs.events.getFresh(created.id));
    const listPools = await poolsOf(() => cs.events.list({ user_id: 5 }, { page: 1, pageSize: 10 }));

    expect(freshPools.length).toBeGreaterThan(0);
    expect(new Set(freshPools)).toEqual(new Set(['primary']));
    expect(listPools.length).toBeGreaterThan(0);
    expect(new Set(listPools)).toEqual(new Set(['replica']));
  });

  it('when a create runs, then its writes and the reads inside its transaction all go to the primary', async () => {
    const pools = await poolsOf(() => cs.events.create(actor, { ...body, content: 'logged create' }));

    // The request-key and category checks are plain reads; nothing else may touch the replica.
    expect(pools.filter((p) => p === 'primary').length).toBeGreaterThanOrEqual(3);
    const [row] = await sequelize.query<{ n: string | number }>(
      "SELECT COUNT(*) AS n FROM cs_event WHERE content = 'logged create'",
      readYourWrites({ type: QueryTypes.SELECT }),
    );
    expect(Number(row?.n)).toBe(1);
  });
  it('when a flagged order was just written, then a primary read of the store sees it and a plain one goes to the replica', async () => {
    const store = new MysqlFlaggedStore(sequelize);
    const doc = flagged();
    const orderId = doc.order_id;
    await store.insertIfAbsent(doc);

    expect(await store.get(orderId)).toBeUndefined();
    expect((await store.get(orderId, { primary: true }))?.order_id).toBe(orderId);
  });
});
