import type { Sequelize } from 'sequelize';
import { createSequelize } from '../../src/core/db/mysql';
import type { FlaggedOrderStore } from '../../src/service/risk/inner/flagged-store';
import type { FlaggedOrder } from '../../src/service/risk/risk-types';
import { MongoFlaggedStore } from '../../src/service/risk/inner/mongo-flagged-store';
import { MysqlFlaggedStore } from '../../src/service/risk/inner/mysql-flagged-store';
import { testConfig } from '../helpers/app';
import { freshDatabase } from '../helpers/db';
import { flagged } from '../helpers/risk';

/**
 * One contract, every store that is reachable here. MySQL always is; MongoDB
 * only where TANDEM_TEST_MONGO_URL points at a server (the suite ignores
 * TANDEM_MONGO_URL, as every configuration variable of the caller).
 */
const mongoUrl = process.env.TANDEM_TEST_MONGO_URL ?? null;
if (!mongoUrl) {
  process.stderr.write(
    'risk-store-contract: SKIPPING the MongoDB store run: no MongoDB here. Set TANDEM_TEST_MONGO_URL=mongodb://HOST:27017/tandem_test to run it.\n',
  );
}

interface Harness {
  store: FlaggedOrderStore;
  teardown: () => Promise<void>;
}

const stores: [string, () => Promise<Harness>][] = [
  [
    'mysql',
    async () => {
      const db = await freshDatabase();
      const sequelize: Sequelize = createSequelize(testConfig({ mysql: { database: db.database } }));
      const store = new MysqlFlaggedStore(sequelize);
      await store.init();
      return {
        store,
        teardown: async () => {
          await sequelize.close();
          await db.drop();
        },
      };
    },
  ],
];
if (mongoUrl) {
  stores.push([
    'mongo',
    async () => {
      const store = new MongoFlaggedStore(mongoUrl, `flagged_orders_${process.pid}_${Date.now()}`);
      await store.init();
      return { store, teardown: () => store.close() };
    },
  ]);
}

describe.each(stores)('the %s flagged-order store', (_name, make) => {
  let h: Harness;
  beforeAll(async () => {
    h = await make();
  });
  afterAll(() => h.teardown());

  it('when an order is inserted twice, then it is stored once and the second insert says so', async () => {
    const doc = flagged();
    expect(await h.store.insertIfAbsent(doc)).toBe(true);
    expect(await h.store.insertIfAbsent({ ...doc, rules: ['other'] })).toBe(false);
    expect(await h.store.get(doc.order_id)).toMatchObject({
      order_id: doc.order_id,
      rules: ['new_user_large_amount'],
      status: 'pending',
    });
  });

  it('when inserts race, then exactly one wins', async () => {
    const doc = flagged();
    const results = await Promise.all([1, 2, 3, 4].map(() => h.store.insertIfAbsent(doc)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('when a 64-bit order id is stored, then it reads back exactly', async () => {
    const doc = flagged({ order_id: '18446744073709551615' });
    await h.store.insertIfAbsent(doc);
    expect((await h.store.get('18446744073709551615'))?.order_id).toBe('18446744073709551615');
  });

  it('when listing by status and rule, then only matching orders come back, newest first, by offset or after a position', async () => {
    const rule = `rule_${flagged().order_id}`;
    const docs = [flagged({ rules: [rule] }), flagged({ rules: [rule, 'x'] }), flagged({ rules: ['x'] })];
    for (const d of docs) await h.store.insertIfAbsent(d);
    const byRule = await h.store.list({ rule }, { offset: 0, limit: 10 });
    expect(await h.store.count({ rule }, 10)).toBe(2);
    expect(byRule.map((i) => i.order_id)).toEqual([docs[1]?.order_id, docs[0]?.order_id]);
    const page2 = await h.store.list({ rule }, { offset: 1, limit: 1 });
    expect(page2.map((i) => i.order_id)).toEqual([docs[0]?.order_id]);
    const first = byRule[0] as FlaggedOrder;
    const after = await h.store.list(
      { rule },
      { after: { at: first.flagged_at, id: first.order_id }, offset: 0, limit: 10 },
    );
    expect(after.map((i) => i.order_id)).toEqual([docs[0]?.order_id]);
  });

  it('when more orders match than the cap, then the count stops at the cap plus one', async () => {
    const rule = `rule_cap_${flagged().order_id}`;
    for (let i = 0; i < 4; i += 1) await h.store.insertIfAbsent(flagged({ rules: [rule] }));
    expect(await h.store.count({ rule }, 2)).toBe(3);
    expect(await h.store.count({ rule }, 10)).toBe(4);
  });

  it('when a pending order is judged, then the work runs once and a second judgement changes nothing', async () => {
    const doc = flagged();
    await h.store.insertIfAbsent(doc);
    let runs = 0;
    const work = () => {
      runs += 1;
      return Promise.resolve({ cs_event_id: 77 });
    };
    expect(await h.store.judge(doc.order_id, 'fraud', { reviewer_id: 5, note: 'n' }, work)).toBe(true);
    expect(await h.store.judge(doc.order_id, 'legit', { reviewer_id: 6, note: 'm' }, work)).toBe(false);
    expect(runs).toBe(1);
    expect(await h.store.get(doc.order_id)).toMatchObject({
      status: 'fraud',
      reviewer_id: 5,
      note: 'n',
      cs_event_id: 77,
      report_status: 'pending',
    });
  });

  it('when the work of a verdict fails, then the MySQL store keeps the order pending (one transaction)', async () => {
    const doc = flagged();
    await h.store.insertIfAbsent(doc);
    const failing = () => Promise.reject(new Error('event could not be created'));
    await expect(h.store.judge(doc.order_id, 'fraud', { reviewer_id: 5, note: '' }, failing)).rejects.toThrow(
      'event could not be created',
    );
    const after = await h.store.get(doc.order_id);
    // MongoDB has no transaction with MySQL: the verdict stays and the scan's reconcile step finishes the work.
    expect(after?.status).toBe(h.store.kind === 'mysql' ? 'pending' : 'fraud');
  });

  it('when a fraud verdict has no event or an unsent report, then it is listed as unfinished until both are done', async () => {
    const doc = flagged();
    await h.store.insertIfAbsent(doc);
    await h.store.judge(doc.order_id, 'fraud', { reviewer_id: 1, note: '' }, () =>
      Promise.resolve({ cs_event_id: null }),
    );
    expect((await h.store.unfinished(1000)).map((o) => o.order_id)).toContain(doc.order_id);
    await h.store.setEvent(doc.order_id, 9);
    await h.store.setReportStatus(doc.order_id, 'reported');
    expect((await h.store.unfinished(1000)).map((o) => o.order_id)).not.toContain(doc.order_id);
  });

  it('when more verdicts stay unfinished than one batch, then walking on from the last seen visits every one once', async () => {
    const docs = Array.from({ length: 5 }, () => flagged());
    for (const doc of docs) {
      await h.store.insertIfAbsent(doc);
      await h.store.judge(doc.order_id, 'fraud', { reviewer_id: 1, note: '' }, () =>
        Promise.resolve({ cs_event_id: null }),
      );
    }
    const mine = new Set(docs.map((d) => d.order_id));
    const seen: string[] = [];
    let after: { reviewed_at: string; order_id: string } | undefined;
    for (let run = 0; run < 100; run += 1) {
      const batch = await h.store.unfinished(2, after);
      seen.push(...batch.map((o) => o.order_id).filter((id) => mine.has(id)));
      const last = batch.at(-1);
      if (batch.length < 2 || !last?.reviewed_at) break;
      after = { reviewed_at: last.reviewed_at, order_id: last.order_id };
    }

    expect([...seen].sort()).toEqual([...mine].sort());
  });
});
