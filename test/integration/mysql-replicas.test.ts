import { QueryTypes, type Sequelize } from 'sequelize';
import mysql from 'mysql2/promise';
import type { Redis } from 'ioredis';
import { ensureDatabase } from '../../src/core/db/database';
import { migrator } from '../../src/core/db/migrate';
import { createSequelize } from '../../src/core/db/mysql';
import { redisConnection } from '../../src/core/db/redis';
import { migrations } from '../../src/model/migrations';
import { createCsDomain, type CsDomain } from '../../src/service/cs';
import type { Actor, NewCsEvent } from '../../src/service/cs/cs-types';
import { testConfig } from '../helpers/app';
import { freshRedisPrefix } from '../helpers/db';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { mariadbBinaries, type MariadbServer, startMariadbServer } from '../helpers/servers';
import { waitFor } from '../helpers/wait';

/**
 * Read replicas for real: two MariaDB servers started here, the second
 * replicating from the first (binary log, CHANGE MASTER TO). tandem points
 * its primary at the first and its one replica at the second. A replica
 * that is stopped or frozen is taken out and the read answered by the
 * primary; counts and cache fills are read from the primary even while the
 * replica lags (replication stopped).
 *
 * CI must run this: there a missing mariadbd is a failure, not a skip.
 */
const binaries = mariadbBinaries();
if (!binaries) {
  if (process.env.CI) throw new Error('mysql-replicas: CI needs mariadbd and mariadb-install-db (mariadb-server).');
  process.stderr.write('mysql-replicas: SKIPPING: no mariadbd/mariadb-install-db on this machine.\n');
}
const describeWithServers = binaries ? describe : describe.skip;

const DATABASE = 'tandem_t_replicas';
const QUERY_TIMEOUT_MS = 1000;
const REPLICA_OUT_MS = 1500;
const actor: Actor = { id: 11, admin: false };
const body: NewCsEvent = {
  user_id: 7,
  user_type: 'merchant',
  phone: '555-0107',
  order_id: '77',
  source: 'email',
  category_id: null,
  priority: 2,
  compensation: 0,
  content: 'replicated',
};

describeWithServers('reads with a real replica', () => {
  let primary: MariadbServer;
  let replica: MariadbServer;
  let sequelize: Sequelize;
  let redis: Redis;
  let cs: CsDomain;
  let logs: LogCapture;

  async function onReplica<T>(fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
    const connection = await mysql.createConnection({ host: '127.0.0.1', port: replica.port, user: 'root' });
    try {
      return await fn(connection);
    } finally {
      await connection.end();
    }
  }

  /** Which server answered a plain read (the primary is server 1, the replica 2). */
  async function readServer(): Promise<number> {
    const [row] = await sequelize.query<{ id: number | string }>('SELECT @@server_id AS id', {
      type: QueryTypes.SELECT,
    });
    return Number(row?.id);
  }

  async function replicaHas(id: number): Promise<boolean> {
    return onReplica(async (c) => {
      const [rows] = await c.query(`SELECT id FROM ${DATABASE}.cs_event WHERE id = ?`, [id]);
      return (rows as unknown[]).length === 1;
    });
  }

  beforeAll(async () => {
    const found = binaries as NonNullable<typeof binaries>;
    [primary, replica] = await Promise.all([
      startMariadbServer(found, { args: ['--log-bin=mysql-bin', '--server-id=1', '--binlog-format=ROW'] }),
      startMariadbServer(found, { args: ['--skip-log-bin', '--server-id=2'] }),
    ]);
    await onReplica(async (c) => {
      await c.query(
        `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primary.port}, MASTER_USER='root', MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos`,
      );
      await c.query('START SLAVE');
    });
    const onPrimary = testConfig({ mysql: { port: primary.port, database: DATABASE } });
    await ensureDatabase(onPrimary);
    const schema = createSequelize(onPrimary);
    try {
      await migrator(schema, migrations).up();
    } finally {
      await schema.close();
    }
    await waitFor(
      () =>
        onReplica(async (c) => {
          const [rows] = await c.query(`SHOW TABLES FROM ${DATABASE} LIKE 'cs_event'`);
          return (rows as unknown[]).length === 1 ? true : undefined;
        }).catch(() => undefined),
      30000,
      'the schema replicated to the second server',
    );
    const config = testConfig({
      mysql: {
        port: primary.port,
        database: DATABASE,
        replicas: [`127.0.0.1:${replica.port}`],
        query_timeout_ms: QUERY_TIMEOUT_MS,
        replica_out_ms: REPLICA_OUT_MS,
        // Idle read connections (to the primary, while the replica was out) are closed soon after.
        pool_idle_ms: 300,
      },
      redis: { key_prefix: freshRedisPrefix() },
    });
    sequelize = createSequelize(config);
    redis = redisConnection(config, 'main');
    await redis.connect();
    cs = createCsDomain(sequelize, redis);
    logs = captureLogs();
  }, 120000);

  afterAll(async () => {
    replica?.thaw();
    await sequelize?.close();
    redis?.disconnect();
    await Promise.all([replica?.stop(), primary?.stop()]);
  }, 60000);

  it('when an event is written, then it reaches the replica, and plain reads are answered there', async () => {
    const created = await cs.events.create(actor, body);

    await waitFor(async () => ((await replicaHas(created.id)) ? true : undefined), 10000, 'the row on the replica');
    expect(await readServer()).toBe(2);
    const listed = await cs.events.list({ user_id: 7 }, { page: 1, pageSize: 100 });
    expect(listed.items.map((e) => e.id)).toContain(created.id);
  });

  it('when the replica lags (replication stopped), then the counts and the cache fill come from the primary', async () => {
    await onReplica((c) => c.query('STOP SLAVE'));
    try {
      const created = await cs.events.create(actor, { ...body, content: 'not on the replica' });
      await redis.del('cs:stats', `cs:event:${created.id}`);

      const stats = await cs.events.stats();
      const onPrimary = await sequelize.query<{ n: number | string }>(
        "SELECT COUNT(*) AS n FROM cs_event WHERE status = 'pending'",
        { type: QueryTypes.SELECT, useMaster: true },
      );

      expect(await replicaHas(created.id)).toBe(false);
      expect(stats.pending).toBe(Number(onPrimary[0]?.n));
      expect(await cs.events.get(created.id)).toMatchObject({ id: created.id, content: 'not on the replica' });
    } finally {
      await onReplica((c) => c.query('START SLAVE'));
    }
  });

  it('when the replica is stopped, then reads are answered by the primary, the replica is out with one warning, and back once it is', async () => {
    await replica.halt();
    try {
      const servers = [await readServer(), await readServer(), await readServer()];
      const listed = await cs.events.list({ user_id: 7 }, { page: 1, pageSize: 100 });

      expect(servers).toEqual([1, 1, 1]);
      expect(listed.items.length).toBeGreaterThan(0);
      expect(
        logs.lines.filter(
          (l) => l.message === 'a MySQL replica failed; reading from the others or the primary for a while',
        ),
      ).toHaveLength(1);
    } finally {
      await replica.start();
    }
    await waitFor(async () => ((await readServer()) === 2 ? true : undefined), 15000, 'reads back on the replica');
  });

  it('when the replica is frozen (SIGSTOP), then a read is answered by the primary once the query deadline passes', async () => {
    // A fresh connection to the replica first, so the read meets the frozen server on an open connection.
    await waitFor(async () => ((await readServer()) === 2 ? true : undefined), 15000, 'reads on the replica');
    replica.freeze();
    // Every thread of the server stops as it next leaves the kernel: give the stop a moment to take hold.
    await new Promise((resolve) => setTimeout(resolve, 200));
    try {
      const started = performance.now();
      const server = await readServer();
      const ms = performance.now() - started;

      expect(server).toBe(1);
      // The query deadline, plus generous slack for a busy machine; never an unbounded wait.
      expect(ms).toBeLessThan(QUERY_TIMEOUT_MS + 4000);
      expect(await readServer()).toBe(1);
    } finally {
      replica.thaw();
    }
  });
});
