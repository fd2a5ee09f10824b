import { QueryTypes, type Sequelize } from 'sequelize';
import { createSequelize } from '../../src/core/db/mysql';
import { countSql, type CsListFilter, listSql, planList } from '../../src/service/cs/inner/cs-event-list-inner';
import { defineCsModels } from '../../src/model/cs-event';
import { CsEventInner } from '../../src/service/cs/inner/cs-event-inner';
import { CsReportInner } from '../../src/service/cs/inner/cs-report-inner';
import { MysqlFlaggedStore } from '../../src/service/risk/inner/mysql-flagged-store';
import { testConfig } from '../helpers/app';
import { freshDatabase } from '../helpers/db';
import { fillCsEvents } from '../helpers/cs-bulk';
import { CS_LIST_INDEXES } from '../../src/model/migrations/0008-cs-list-indexes';
import { SUPERSEDED_INDEXES } from '../../src/model/migrations/0010-cs-drop-superseded-indexes';

/**
 * MariaDB's plan for every documented filter of the event list, on a table
 * large enough that the optimizer weighs its indexes as it does in
 * production (with a few hundred rows it reads the whole table and sorts,
 * whatever the indexes): no read of the whole table, and no sort of the
 * table's rows; a filter with several values may sort its merged branches,
 * each at most a page. Plans, not times: the times are make bench-scale's.
 */
const ROWS = 120_000;
const PAGE = 20;

let sequelize: Sequelize;
let drop: () => Promise<void>;

beforeAll(async () => {
  const db = await freshDatabase();
  drop = db.drop;
  sequelize = createSequelize(testConfig({ mysql: { database: db.database, query_timeout_ms: 0 } }));
  await fillCsEvents(sequelize, ROWS);
  await sequelize.query('ANALYZE TABLE cs_event');
}, 180_000);

afterAll(async () => {
  await sequelize?.close();
  await drop?.();
});

interface PlanRow {
  id: number | null;
  select_type: string;
  table: string | null;
  type: string | null;
  key: string | null;
  rows: number | string | null;
  Extra: string | null;
}

async function explain(sql: string, values: Record<string, unknown>): Promise<PlanRow[]> {
  return sequelize.query<PlanRow>(`EXPLAIN ${sql}`, { replacements: values, type: QueryTypes.SELECT });
}

/** The documented filters, alone and in the combinations the back office uses (docs/http.md). */
const FILTERS: [string, CsListFilter][] = [
  ['no filter', {}],
  ['status', { status: ['pending'] }],
  ['several statuses', { status: ['pending', 'remain', 'follow_up'] }],
  ['category subtree', { category_ids: [3, 7, 8, 9] }],
  ['one category', { category_ids: [5] }],
  ['user_type', { user_type: 'merchant' }],
  ['priority', { priority: 3 }],
  ['source', { source: 'weibo' }],
  ['phone', { phone: '1380000123' }],
  ['handler', { handler_id: 7 }],
  ['user_id', { user_id: 4242 }],
  ['has_compensation=true', { has_compensation: true }],
  ['has_compensation=false', { has_compensation: false }],
  ['created range (one day)', { created_from: '2024-06-01', created_to: '2024-06-01' }],
  ['created_from only', { created_from: '2024-06-01' }],
  ['status + handler ("my open events")', { status: ['pending', 'remain'], handler_id: 7 }],
  ['status + priority', { status: ['pending'], priority: 3 }],
  ['statuses + priority', { status: ['pending', 'remain', 'forward'], priority: 2 }],
  ['status + created range', { status: ['pending', 'done'], created_from: '2024-06-01', created_to: '2024-06-07' }],
  ['status + category', { status: ['remain'], category_ids: [3, 7] }],
  ['status + has_compensation', { status: ['pending'], has_compensation: true }],
  ['handler + priority + source', { handler_id: 7, priority: 2, source: 'phone' }],
  ['user_type + source', { user_type: 'user', source: 'phone' }],
];

const derived = (row: PlanRow): boolean => /^<(union|derived)/.test(row.table ?? '') || row.table === null;

/** What is wrong with a plan: a read of cs_event not through `index`, a table scan, a sort or a temporary table. */
function violations(plan: PlanRow[], index: string): string[] {
  const tableRows = plan.filter((r) => r.table === 'cs_event');
  const found = tableRows.length === 0 ? ['no read of cs_event'] : [];
  for (const row of tableRows) {
    if (row.type === 'ALL') found.push('reads the whole table');
    if (row.key !== index) found.push(`reads through ${String(row.key)}, not ${index}`);
    if (/filesort|temporary/i.test(row.Extra ?? '')) found.push(`sorts the table's rows: ${String(row.Extra)}`);
  }
  // The merge of the branches sorts their rows, at most a page (plus one) from each; it must not read an index whole.
  for (const row of plan.filter(derived)) if (row.type === 'index') found.push('reads a whole index to merge');
  return found;
}

describe(`the event list's plans on ${ROWS.toLocaleString('en')} events`, () => {
  it.each(FILTERS)(
    'when the list is filtered by %s, then no table scan and no sort of the table',
    async (_name, filter) => {
      const plan = planList(filter);
      const first = listSql(filter, plan, { offset: 0, limit: PAGE + 1 });
      expect(violations(await explain(first.sql, first.values), plan.index)).toEqual([]);

      const after = { at: '2024-06-15T12:00:00.000Z', id: '60000' };
      const next = listSql(filter, plan, { after, offset: 0, limit: PAGE + 1 });
      const nextPlan = await explain(next.sql, next.values);
      expect(violations(nextPlan, plan.index)).toEqual([]);
      // The cursor is a range on the index (the position is a bound), not a filter on rows read from the top.
      const nextReads = nextPlan.filter((r) => r.table === 'cs_event');
      expect(nextReads.map((r) => r.type)).toEqual(nextReads.map(() => 'range'));

      const count = countSql(filter, plan);
      const countReads = (await explain(count.sql, count.values)).filter((r) => r.table === 'cs_event');
      expect(countReads.length).toBeGreaterThan(0);
      expect(countReads.filter((r) => r.type === 'ALL' || r.key !== plan.index)).toEqual([]);
    },
  );

  it('when a list reads several statuses through one IN, then the check sees the sort it would make (the control)', async () => {
    const plan = await explain(
      `SELECT id FROM cs_event FORCE INDEX (idx_event_status_updated)
        WHERE deleted_id = 0 AND status IN ('pending', 'remain') ORDER BY updated_at DESC, id DESC LIMIT 21`,
      {},
    );
    expect(violations(plan, 'idx_event_status_updated')).toEqual([expect.stringMatching(/^sorts the table's rows/)]);
  });

  it('when MariaDB chooses by itself, then it picks the filter index as on a production table (the table is large enough)', async () => {
    const plan = await explain(
      `SELECT id FROM cs_event WHERE deleted_id = 0 AND priority = 3 ORDER BY updated_at DESC, id DESC LIMIT 21`,
      {},
    );
    expect(plan[0]).toMatchObject({ key: 'idx_event_priority_updated' });
    expect(plan[0]?.Extra ?? '').not.toMatch(/filesort/);
  });

  it('when the plans are made, then every branch of a several-valued filter is read through one index, at most 24 of them', () => {
    const many = planList({ category_ids: Array.from({ length: 30 }, (_, i) => i + 1) });
    expect(many.branchOn).toBeUndefined();
    const few = planList({ category_ids: [1, 2, 3] });
    expect(few).toMatchObject({ index: 'idx_event_category_updated', branchOn: 'category_id' });
  });
});

/** The SELECTs a call runs, with their replacements, to EXPLAIN afterwards. */
async function selectsOf(run: () => Promise<unknown>): Promise<{ sql: string; values: Record<string, unknown> }[]> {
  const seen: { sql: string; values: Record<string, unknown> }[] = [];
  const query = sequelize.query.bind(sequelize) as (
    sql: unknown,
    options?: { replacements?: unknown },
  ) => Promise<unknown>;
  const spy = jest.spyOn(sequelize, 'query').mockImplementation(((
    sql: unknown,
    options?: { replacements?: unknown },
  ) => {
    if (typeof sql === 'string' && /^\s*SELECT/i.test(sql))
      seen.push({ sql, values: (options?.replacements ?? {}) as Record<string, unknown> });
    return query(sql, options);
  }) as typeof sequelize.query);
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return seen;
}

describe(`the timed jobs' reads on ${ROWS.toLocaleString('en')} events`, () => {
  function tableReads(plan: PlanRow[]): PlanRow[] {
    return plan.filter((r) => r.table === 'cs_event' || r.table === 'risk_flagged_order');
  }

  it.each([
    [
      'stale escalation, a batch after a position',
      () =>
        new CsEventInner(sequelize, defineCsModels(sequelize)).findStale(new Date('2024-12-01T00:00:00Z'), 3, 200, {
          updated_at: '2024-03-01T00:00:00.000Z',
          id: 5000,
        }),
    ],
    [
      'the per-status count, chunk by chunk',
      () => new CsEventInner(sequelize, defineCsModels(sequelize), 50_000).countByStatus(),
    ],
    [
      "the daily report's counts of one day",
      () =>
        new CsReportInner(sequelize).countCreated(new Date('2024-06-01T00:00:00Z'), new Date('2024-06-02T00:00:00Z')),
    ],
    [
      "risk reconcile's unfinished verdicts",
      () =>
        new MysqlFlaggedStore(sequelize).unfinished(100, { reviewed_at: '2024-06-01T00:00:00.000Z', order_id: '1' }),
    ],
  ])('when %s is read, then no table scan and no sort of the table', async (_name, run) => {
    const selects = await selectsOf(run);
    expect(selects.length).toBeGreaterThan(0);
    for (const { sql, values } of selects) {
      const reads = tableReads(await explain(sql, values));
      expect(reads.length).toBeGreaterThan(0);
      const bad = reads.filter((r) => r.type === 'ALL' || r.key === null || /filesort|temporary/i.test(r.Extra ?? ''));
      expect({ sql, bad }).toEqual({ sql, bad: [] });
    }
  });
});

describe('the indexes of cs_event', () => {
  it('when every migration has run, then each list index is there and none that the list indexes superseded', async () => {
    const rows = await sequelize.query<{ name: string }>(
      `SELECT DISTINCT INDEX_NAME AS name FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'cs_event'`,
      { type: QueryTypes.SELECT },
    );
    const names = rows.map((r) => r.name);

    expect(names).toEqual(expect.arrayContaining(Object.keys(CS_LIST_INDEXES)));
    for (const superseded of Object.keys(SUPERSEDED_INDEXES)) expect(names).not.toContain(superseded);
  });
});
