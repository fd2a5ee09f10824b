import type { Redis } from 'ioredis';
import { QueryTypes, type Sequelize } from 'sequelize';
import { redisConnection } from '../../src/core/db/redis';
import { createSequelize } from '../../src/core/db/mysql';
import { buildDomains, closeDomains, type Domains } from '../../src/domains';
import { defineCsModels } from '../../src/model/cs-event';
import { CsEventInner } from '../../src/service/cs/inner/cs-event-inner';
import { CsReportInner } from '../../src/service/cs/inner/cs-report-inner';
import { testConfig } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { dropKeys, rawRedis } from '../helpers/redis';

/**
 * The timed jobs' walks in keyset batches: stale escalation goes past one
 * batch (200) without repeating or missing an event and stops at its
 * per-run cap, oldest first; the per-status count is the same whether read
 * in one chunk or in many.
 */
const prefix = freshRedisPrefix();
let db: { database: string; drop: () => Promise<void> };
let sequelize: Sequelize;
let redis: Redis;
let domains: Domains;

const NOW = new Date('2025-01-10T12:00:00.000Z');
const STALE_MS = 3_600_000;

beforeAll(async () => {
  db = await freshDatabase();
  const config = testConfig({ mysql: { database: db.database }, redis: { key_prefix: prefix } });
  sequelize = createSequelize(config);
  redis = redisConnection(config, 'test');
  await redis.connect();
  domains = await buildDomains(config, sequelize, redis);
  // 450 stale events in four open statuses and priorities 0-2, each a minute apart (the oldest first by id);
  // 300 done or at the top priority or touched recently, which must stay as they are.
  await sequelize.query(
    `INSERT INTO cs_event (user_type, phone, source, priority, status, creator_id, handler_id, compensation, content, created_at, updated_at)
     SELECT 'user', '', 'phone', seq % 3, ELT(1 + seq % 4, 'pending', 'remain', 'follow_up', 'forward'), 1, 1, 0, 'stale',
            TIMESTAMP('2025-01-01') + INTERVAL seq MINUTE, TIMESTAMP('2025-01-01') + INTERVAL seq MINUTE
       FROM seq_1_to_450`,
  );
  await sequelize.query(
    `INSERT INTO cs_event (user_type, phone, source, priority, status, creator_id, handler_id, compensation, content, created_at, updated_at)
     SELECT 'user', '', 'phone', IF(seq % 3 = 0, 3, 1), IF(seq % 3 = 1, 'done', 'pending'), 1, 1, 0, 'not stale',
            TIMESTAMP('2025-01-01'),
            IF(seq % 3 = 2, TIMESTAMP('2025-01-10 11:30:00'), TIMESTAMP('2025-01-01'))
       FROM seq_1_to_300`,
  );
});

afterAll(async () => {
  await closeDomains(domains, 1000);
  await sequelize.close();
  redis.disconnect();
  const raw = rawRedis();
  await dropKeys(raw, prefix);
  raw.disconnect();
  await db.drop();
});

async function escalatedIds(): Promise<number[]> {
  const rows = await sequelize.query<{ event_id: string | number }>(
    "SELECT event_id FROM cs_event_record WHERE action = 'escalate' ORDER BY id",
    { type: QueryTypes.SELECT },
  );
  return rows.map((r) => Number(r.event_id));
}

it('when a run is capped, then it escalates the oldest stale events up to the cap and says there are more', async () => {
  const first = await domains.cs.maintenance.escalateStale(NOW, STALE_MS, 120);
  expect(first).toEqual({ escalated: 120, more: true });
  const ids = await escalatedIds();
  expect(ids).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
});

it('when the next run has room, then it walks the rest past several batches, each stale event once, nothing else', async () => {
  const rest = await domains.cs.maintenance.escalateStale(NOW, STALE_MS);
  expect(rest).toEqual({ escalated: 330, more: false });
  const ids = await escalatedIds();
  expect(ids).toHaveLength(450);
  expect(new Set(ids).size).toBe(450);
  expect(Math.max(...ids)).toBe(450);
  const [untouched] = await sequelize.query<{ n: string | number }>(
    "SELECT COUNT(*) AS n FROM cs_event WHERE content = 'not stale' AND priority IN (1, 3) AND updated_at < '2025-01-10 12:00:00'",
    { type: QueryTypes.SELECT },
  );
  expect(Number(untouched?.n)).toBe(300);
  // Everything escalated was touched now: a third run finds nothing.
  expect(await domains.cs.maintenance.escalateStale(NOW, STALE_MS)).toEqual({ escalated: 0, more: false });
});

it('when the per-status counts are read in chunks of 7 index entries, then they equal one GROUP BY', async () => {
  const grouped = await sequelize.query<{ status: string; n: string | number }>(
    'SELECT status, COUNT(*) AS n FROM cs_event WHERE deleted_id = 0 GROUP BY status',
    { type: QueryTypes.SELECT },
  );
  const expected = Object.fromEntries(grouped.map((r) => [r.status, Number(r.n)]));
  const chunked = await new CsEventInner(sequelize, defineCsModels(sequelize), 7).countByStatus();
  expect(chunked).toEqual(expected);
  expect(Object.values(chunked).some((n) => n > 7 * 3)).toBe(true);
});

it("when a day's report counts are walked in batches of 7 rows, then they equal one walk and every event of the day counts once", async () => {
  const reports = new CsReportInner(sequelize);
  const day = { from: new Date('2025-01-01T00:00:00Z'), to: new Date('2025-01-02T00:00:00Z') };
  const whole = await reports.countCreated(day.from, day.to);
  const small = await reports.countCreated(day.from, day.to, 7);
  expect(small).toEqual(whole);
  const total = whole.filter((r) => r.dimension === 'status').reduce((sum, r) => sum + r.count, 0);
  // 300 events at midnight sharing one created_at: the id breaks the tie between batches.
  expect(total).toBe(750);
});
