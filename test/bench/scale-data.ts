import type { Sequelize } from 'sequelize';
import type { Config } from '../../src/core/config';
import { dropDatabase, ensureDatabase } from '../../src/core/db/database';
import { migrator } from '../../src/core/db/migrate';
import { createSequelize } from '../../src/core/db/mysql';
import { migrations } from '../../src/model/migrations';
import { fillCsEvents } from '../helpers/cs-bulk';

/** The event whose timeline has TIMELINE_RECORDS records. */
export const LONG_TIMELINE_EVENT = 1;
export const TIMELINE_RECORDS = 10_000;
/** The last migration before the ones that make a large table's lists cheap: those are timed on the full table. */
const BEFORE_SCALE = '0007-cs-request-hash';
/** 0001's secondary indexes: dropped while the table fills and built again in one statement (a sort, not inserts). */
const FIRST_INDEXES: Record<string, string[]> = {
  idx_event_status_updated: ['deleted_id', 'status', 'updated_at'],
  idx_event_updated: ['deleted_id', 'updated_at'],
  idx_event_handler: ['handler_id', 'deleted_id'],
  idx_event_user: ['user_id'],
  idx_event_phone: ['phone'],
  idx_event_category: ['category_id'],
  idx_event_created: ['created_at'],
};

export interface BuiltDatabase {
  /** Each step's time in ms, in order. */
  steps: [string, number][];
}

async function timed(steps: [string, number][], name: string, work: () => Promise<unknown>): Promise<void> {
  const started = Date.now();
  await work();
  steps.push([name, Date.now() - started]);
}

async function chunked(sequelize: Sequelize, total: number, chunk: number, sql: (from: number, to: number) => string) {
  for (let from = 1; from <= total; from += chunk) await sequelize.query(sql(from, Math.min(total, from + chunk - 1)));
}

/**
 * A database of `rows` customer-service events as a year of a back office
 * leaves them (cs-bulk's spread), with a timeline record for one event in
 * ten plus one event of TIMELINE_RECORDS records, 30 categories, and
 * rows / 100 flagged orders (one in ten judged fraud, one in twenty of those
 * unfinished). Migrations up to 0007 run on the empty tables; the later
 * ones run on the full ones, online, as a deploy would, and are timed.
 */
export async function buildScaleDatabase(
  config: Config,
  rows: number,
  say: (line: string) => void,
): Promise<BuiltDatabase> {
  const steps: [string, number][] = [];
  await dropDatabase(config, config.mysql.database).catch(() => undefined);
  await ensureDatabase(config);
  const sequelize = createSequelize({ ...config, mysql: { ...config.mysql, query_timeout_ms: 0 } });
  try {
    const umzug = migrator(sequelize, migrations, {
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    });
    await umzug.up({ to: BEFORE_SCALE });
    const drops = Object.keys(FIRST_INDEXES).map((n) => `DROP INDEX ${n}`);
    await sequelize.query(`ALTER TABLE cs_event ${drops.join(', ')}`);
    say(`  filling cs_event with ${rows.toLocaleString('en')} events`);
    await timed(steps, 'fill cs_event', () => fillCsEvents(sequelize, rows));
    const adds = Object.entries(FIRST_INDEXES).map(([n, c]) => `ADD INDEX ${n} (${c.join(', ')})`);
    await timed(steps, "0001's indexes", () => sequelize.query(`ALTER TABLE cs_event ${adds.join(', ')}`));
    await sequelize.query(
      `INSERT INTO cs_event_category (id, parent_id, level, name, is_valid, created_at, updated_at)
       SELECT seq, 0, 1, CONCAT('category ', seq), 1, NOW(3), NOW(3) FROM seq_1_to_30`,
    );
    say('  filling the timelines and flagged orders');
    await timed(steps, 'fill timelines', async () => {
      await chunked(
        sequelize,
        rows,
        500_000,
        (from, to) =>
          `INSERT INTO cs_event_record (event_id, actor_id, action, from_status, to_status, handler_id, content, created_at)
           SELECT id, creator_id, 'create', NULL, 'pending', handler_id, 'created', created_at
             FROM cs_event WHERE id BETWEEN ${from} AND ${to} AND id % 10 = 0`,
      );
      await sequelize.query(
        `INSERT INTO cs_event_record (event_id, actor_id, action, from_status, to_status, handler_id, content, created_at)
         SELECT ${LONG_TIMELINE_EVENT}, 1, 'update', 'pending', 'pending', 1, CONCAT('note ', seq),
                TIMESTAMP('2024-01-01') + INTERVAL seq SECOND
           FROM seq_1_to_${TIMELINE_RECORDS}`,
      );
    });
    const orders = Math.max(100, Math.floor(rows / 100));
    await timed(steps, 'fill flagged orders', () =>
      chunked(
        sequelize,
        orders,
        200_000,
        (from, to) =>
          `INSERT INTO risk_flagged_order (order_id, status, rule_names, doc, flagged_at, reviewed_at, reviewer_id, note,
                                           cs_event_id, report_status)
           SELECT 5000000000 + seq,
                  ELT(1 + seq % 10, 'fraud', 'pending', 'pending', 'pending', 'pending', 'pending', 'pending',
                      'legit', 'legit', 'legit'),
                  ELT(1 + seq % 3, 'phone_burst', 'new_user_large_amount', 'high_refund_count,phone_burst'),
                  '{"order":{"user_id":"1","phone":"13800000000","restaurant_id":"1","amount_cents":100,"created_at":"2024-01-01T00:00:00.000Z","status":"done","refund_count":0,"user_registered_at":"2024-01-01T00:00:00.000Z"},"hits":[]}',
                  TIMESTAMP('2024-01-01') + INTERVAL FLOOR(seq * 31536 / ${orders}) * 1000 SECOND,
                  IF(seq % 10 IN (0, 7, 8, 9), TIMESTAMP('2024-01-01') + INTERVAL FLOOR(seq * 31536 / ${orders}) * 1000 + 3600 SECOND, NULL),
                  IF(seq % 10 IN (0, 7, 8, 9), 1, NULL), NULL,
                  IF(seq % 10 = 0 AND seq % 200 <> 0, 1 + seq % ${rows}, NULL),
                  IF(seq % 10 = 0, IF(seq % 200 = 100, 'pending', 'reported'), 'none')
             FROM seq_${from}_to_${to}`,
      ),
    );
    // Every migration after BEFORE_SCALE, each timed: a new one is measured on the full tables without a line here.
    const later = migrations.slice(migrations.findIndex((m) => m.name === BEFORE_SCALE) + 1).map((m) => m.name);
    say(`  migrating ${later.join(', ')} on the full tables (online)`);
    for (const name of later) {
      await timed(steps, `migration ${name}`, () => umzug.up({ to: name }));
    }
    await sequelize.query('ANALYZE TABLE cs_event, cs_event_record, risk_flagged_order');
  } finally {
    await sequelize.close();
  }
  return { steps };
}
