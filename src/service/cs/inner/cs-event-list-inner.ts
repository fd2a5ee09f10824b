import { QueryTypes, type Sequelize } from 'sequelize';
import { type KeysetPosition, sqlTime, TOTAL_CAP } from '../../../core/db/keyset';
import type { CsEvent, CsEventFilter } from '../cs-types';
import { createdRange, type EventRow, toEvent } from './cs-event-rows';

/** The two orders a list is read in: by last update (the default) or, with a creation-date range, by creation. */
export type CsListSort = 'updated_at' | 'created_at';

/** At most this many subqueries, one per value of a multi-valued filter, are merged; past it the values are a residual IN. */
const MAX_BRANCHES = 24;

/** The columns an event answer is made of (has_compensation, the virtual column, is not one). */
const COLUMNS =
  'id, user_id, user_type, phone, order_id, source, category_id, priority, status, creator_id, handler_id, compensation, content, created_at, updated_at';

export type CsListFilter = CsEventFilter & { category_ids?: number[] | undefined };

/**
 * The index a list reads through and the filter column whose values, when
 * several, are read as one ordered branch each and merged (an IN before the
 * sort column would make MariaDB sort every matching row).
 */
export interface ListPlan {
  sort: CsListSort;
  index: string;
  /** The column leading the index after deleted_id whose several values become branches, if any. */
  branchOn?: 'status' | 'category_id';
}

/**
 * Picks the index for a filter: the most selective equality filters first,
 * then the sort column (migration 0008). Filters not in the index are checked
 * on the rows read in index order; none makes MariaDB sort or scan the table.
 */
export function planList(filter: CsListFilter): ListPlan {
  const statuses = filter.status?.length ?? 0;
  const cats = filter.category_ids?.length ?? 0;
  if (filter.created_from !== undefined || filter.created_to !== undefined) {
    if (statuses > 0) return { sort: 'created_at', index: 'idx_event_status_created', branchOn: 'status' };
    return { sort: 'created_at', index: 'idx_event_live_created' };
  }
  const sort = 'updated_at';
  if (filter.phone !== undefined) return { sort, index: 'idx_event_phone_updated' };
  if (filter.user_id !== undefined) return { sort, index: 'idx_event_user_updated' };
  if (filter.handler_id !== undefined) {
    if (statuses > 0) return { sort, index: 'idx_event_handler_status_updated', branchOn: 'status' };
    return { sort, index: 'idx_event_handler_updated' };
  }
  if (cats > 0 && cats <= MAX_BRANCHES) return { sort, index: 'idx_event_category_updated', branchOn: 'category_id' };
  if (filter.priority !== undefined) {
    if (statuses > 0) return { sort, index: 'idx_event_status_priority_updated', branchOn: 'status' };
    return { sort, index: 'idx_event_priority_updated' };
  }
  if (statuses > 0) return { sort, index: 'idx_event_status_updated', branchOn: 'status' };
  if (filter.has_compensation !== undefined) return { sort, index: 'idx_event_compensated_updated' };
  if (filter.source !== undefined) return { sort, index: 'idx_event_source_updated' };
  if (filter.user_type !== undefined) return { sort, index: 'idx_event_user_type_updated' };
  return { sort, index: 'idx_event_updated' };
}

interface Sql {
  where: string[];
  /** The column each term of `where` reads. */
  columns: string[];
  values: Record<string, unknown>;
}

/** The filter columns each list index holds (after deleted_id), so a count can tell its terms apart. */
const INDEX_COLUMNS: Record<string, string[]> = {
  idx_event_updated: [],
  idx_event_status_updated: ['status'],
  idx_event_handler_status_updated: ['handler_id', 'status'],
  idx_event_handler_updated: ['handler_id'],
  idx_event_status_priority_updated: ['status', 'priority'],
  idx_event_priority_updated: ['priority'],
  idx_event_category_updated: ['category_id'],
  idx_event_source_updated: ['source'],
  idx_event_user_type_updated: ['user_type'],
  idx_event_phone_updated: ['phone'],
  idx_event_user_updated: ['user_id'],
  idx_event_compensated_updated: ['has_compensation'],
  idx_event_live_created: ['created_at'],
  idx_event_status_created: ['status', 'created_at'],
};

/**
 * Index entries a count reads at most when some filters are not in the
 * list's index (each such entry costs a row read): past it the count is of
 * the entries read, a lower bound.
 */
export const COUNT_EXAMINE_CAP = 2_000;

/** The WHERE terms of a filter, leaving out the branch column (each branch sets it). */
function filterTerms(filter: CsListFilter, plan: ListPlan): Sql {
  const where = ['deleted_id = 0'];
  const columns = ['deleted_id'];
  const values: Record<string, unknown> = {};
  if (filter.status?.length && plan.branchOn !== 'status') {
    where.push('status IN (:statuses)');
    columns.push('status');
    values.statuses = filter.status;
  }
  if (filter.category_ids && plan.branchOn !== 'category_id') {
    // An empty subtree (unknown category) matches nothing.
    where.push(filter.category_ids.length ? 'category_id IN (:categoryIds)' : '1 = 0');
    columns.push('category_id');
    values.categoryIds = filter.category_ids;
  }
  const eq: [keyof CsListFilter, string][] = [
    ['user_type', 'user_type'],
    ['priority', 'priority'],
    ['source', 'source'],
    ['phone', 'phone'],
    ['handler_id', 'handler_id'],
    ['user_id', 'user_id'],
  ];
  for (const [key, column] of eq) {
    if (filter[key] === undefined) continue;
    where.push(`${column} = :${key}`);
    columns.push(column);
    values[key] = filter[key];
  }
  if (filter.has_compensation !== undefined) {
    where.push('has_compensation = :hasCompensation');
    columns.push('has_compensation');
    values.hasCompensation = filter.has_compensation ? 1 : 0;
  }
  const range = createdRange(filter.created_from, filter.created_to);
  if (range.gte) {
    where.push('created_at >= :createdFrom');
    columns.push('created_at');
    values.createdFrom = range.gte;
  }
  if (range.lt) {
    where.push('created_at < :createdTo');
    columns.push('created_at');
    values.createdTo = range.lt;
  }
  return { where, columns, values };
}

/** The branches of a plan: one WHERE term per value of the branch column, or one with none. */
function branches(filter: CsListFilter, plan: ListPlan): { term: string; values: Record<string, unknown> }[] {
  const list = plan.branchOn === 'status' ? filter.status : plan.branchOn === 'category_id' ? filter.category_ids : [];
  if (!plan.branchOn || !list?.length) return [{ term: '', values: {} }];
  return list.map((value, i) => ({ term: `${plan.branchOn} = :b${i}`, values: { [`b${i}`]: value } }));
}

/** The SQL of one list read; exported for the EXPLAIN test. */
export function listSql(
  filter: CsListFilter,
  plan: ListPlan,
  read: { after?: KeysetPosition | undefined; offset: number; limit: number },
): { sql: string; values: Record<string, unknown> } {
  const base = filterTerms(filter, plan);
  const values: Record<string, unknown> = { ...base.values, limit: read.limit, offset: read.offset };
  const where = [...base.where];
  if (read.after) {
    where.push(`(${plan.sort} < :afterAt OR (${plan.sort} = :afterAt AND id < :afterId))`);
    values.afterAt = sqlTime(read.after.at);
    values.afterId = read.after.id;
  }
  const order = `ORDER BY ${plan.sort} DESC, id DESC`;
  const parts = branches(filter, plan);
  const select = (term: string, limit: string): string =>
    `SELECT ${COLUMNS} FROM cs_event FORCE INDEX (${plan.index}) WHERE ${[...where, ...(term ? [term] : [])].join(' AND ')} ${order} LIMIT ${limit}`;
  const [only] = parts;
  if (parts.length === 1 && only)
    return { sql: select(only.term, ':offset, :limit'), values: { ...values, ...only.values } };
  // Each branch reads its own first offset + limit rows in order; the merge sorts at most that many per branch.
  values.branchLimit = read.offset + read.limit;
  for (const part of parts) Object.assign(values, part.values);
  const union = parts.map((part) => `(${select(part.term, ':branchLimit')})`).join(' UNION ALL ');
  return { sql: `SELECT * FROM (${union}) AS page ${order} LIMIT :offset, :limit`, values };
}

/**
 * The SQL of the bounded count of a list. With every filter in the list's
 * index it reads at most TOTAL_CAP + 1 index entries. Otherwise it reads at
 * most COUNT_EXAMINE_CAP entries of the index's range and checks the other
 * filters on those rows: `examined` below the cap means the whole range was
 * read and `n` is exact.
 */
export function countSql(filter: CsListFilter, plan: ListPlan): { sql: string; values: Record<string, unknown> } {
  const base = filterTerms(filter, { ...plan, branchOn: undefined });
  const inIndex = new Set(['deleted_id', ...(INDEX_COLUMNS[plan.index] ?? [])]);
  const indexTerms = base.where.filter((_, i) => inIndex.has(base.columns[i] ?? ''));
  const residual = base.where.filter((_, i) => !inIndex.has(base.columns[i] ?? ''));
  const from = `FROM cs_event FORCE INDEX (${plan.index}) WHERE ${indexTerms.join(' AND ')}`;
  if (residual.length === 0)
    return {
      sql: `SELECT COUNT(*) AS n, 0 AS examined FROM (SELECT 1 ${from} LIMIT ${TOTAL_CAP + 1}) AS capped`,
      values: base.values,
    };
  return {
    sql: `SELECT COALESCE(SUM(m), 0) AS n, COUNT(*) AS examined
            FROM (SELECT (${residual.join(' AND ')}) AS m ${from} LIMIT ${COUNT_EXAMINE_CAP}) AS capped`,
    values: base.values,
  };
}

/** Data access for the event list: keyset reads through the index each filter has, and bounded counts. */
export class CsEventListInner {
  constructor(private readonly sequelize: Sequelize) {}

  async read(
    filter: CsListFilter,
    plan: ListPlan,
    read: { after?: KeysetPosition | undefined; offset: number; limit: number },
  ): Promise<CsEvent[]> {
    const { sql, values } = listSql(filter, plan, read);
    const rows = await this.sequelize.query<EventRow>(sql, { replacements: values, type: QueryTypes.SELECT });
    return rows.map(toEvent);
  }

  /** The matching rows, and whether every candidate was read (else `n` is a lower bound). */
  async count(filter: CsListFilter, plan: ListPlan): Promise<{ n: number; complete: boolean }> {
    const { sql, values } = countSql(filter, plan);
    const [row] = await this.sequelize.query<{ n: string | number; examined: string | number }>(sql, {
      replacements: values,
      type: QueryTypes.SELECT,
    });
    return { n: Number(row?.n ?? 0), complete: Number(row?.examined ?? 0) < COUNT_EXAMINE_CAP };
  }
}
