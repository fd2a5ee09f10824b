import { DatabaseError, QueryTypes, type Sequelize, UniqueConstraintError } from 'sequelize';

/**
 * Rows one statement of the daily report's walk reads at most. The rows are
 * parsed on the event loop that serves requests: walking a day of 27,000
 * events (10,000,000 over a year) 10,000 at a time delayed the loop by 30 ms
 * at p99 and up to 100 ms, 1,000 at a time by 9 ms and up to 37 ms, in about
 * the same time.
 */
const REPORT_BATCH = 1_000;

/** How often a report write that MySQL ended as a deadlock victim is tried in all. */
const DEADLOCK_TRIES = 5;

function isDeadlock(err: unknown): boolean {
  return err instanceof DatabaseError && (err.parent as { code?: string }).code === 'ER_LOCK_DEADLOCK';
}

export interface ReportRow {
  dimension: 'status' | 'category' | 'meta';
  dim_key: string;
  count: number;
}

/** Data access for cs_daily_report and the counts it is made of. */
export class CsReportInner {
  constructor(private readonly sequelize: Sequelize) {}

  /**
   * Live events created in [from, to) per status and per category, walked
   * in keyset batches of `batch` rows in (created_at, id) order through
   * (deleted_id, created_at): each statement reads a batch, nothing is
   * sorted or grouped by MariaDB, and memory holds one batch and the counts.
   */
  async countCreated(from: Date, to: Date, batch = REPORT_BATCH): Promise<ReportRow[]> {
    const byStatus = new Map<string, number>();
    const byCategory = new Map<string, number>();
    let after: { at: Date; id: string } | undefined;
    for (;;) {
      const rows = await this.sequelize.query<{
        id: string | number;
        created_at: Date;
        status: string;
        category_id: string | number | null;
      }>(
        `SELECT id, created_at, status, category_id FROM cs_event FORCE INDEX (idx_event_live_created)
          WHERE deleted_id = 0 AND created_at >= :from AND created_at < :to
          ${after ? 'AND (created_at > :afterAt OR (created_at = :afterAt AND id > :afterId))' : ''}
          ORDER BY created_at, id LIMIT ${batch}`,
        {
          replacements: { from, to, ...(after ? { afterAt: after.at, afterId: after.id } : {}) },
          type: QueryTypes.SELECT,
        },
      );
      for (const row of rows) {
        byStatus.set(row.status, (byStatus.get(row.status) ?? 0) + 1);
        const category = row.category_id === null ? 'none' : String(row.category_id);
        byCategory.set(category, (byCategory.get(category) ?? 0) + 1);
      }
      const last = rows.at(-1);
      if (rows.length < batch || !last) break;
      after = { at: last.created_at, id: String(last.id) };
    }
    const sorted = (m: Map<string, number>) => [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return [
      ...sorted(byStatus).map(([k, n]) => ({ dimension: 'status' as const, dim_key: k, count: n })),
      ...sorted(byCategory).map(([k, n]) => ({ dimension: 'category' as const, dim_key: k, count: n })),
    ];
  }

  /**
   * Writes one day's report in one transaction unless that day has one:
   * true when written, false when it existed. The first row is a marker
   * (meta/written) under the unique key, so a second or concurrent run fails
   * on it and rolls back whole.
   */
  async writeOnce(day: string, rows: ReportRow[]): Promise<boolean> {
    const total = rows.filter((r) => r.dimension === 'status').reduce((sum, r) => sum + r.count, 0);
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.sequelize.transaction(async (tx) => {
          for (const row of [{ dimension: 'meta', dim_key: 'written', count: total }, ...rows]) {
            await this.sequelize.query(
              'INSERT INTO cs_daily_report (report_date, dimension, dim_key, count, created_at) VALUES (:day, :dimension, :dim_key, :count, NOW(3))',
              { replacements: { day, ...row }, transaction: tx },
            );
          }
        });
        return true;
      } catch (err) {
        if (err instanceof UniqueConstraintError) return false;
        // Runs waiting on the first one's marker row hold locks on the gap before it, where the first one's next
        // rows go: InnoDB ends the cycle by rolling one of them back. Trying again either finds the report written
        // (a duplicate marker) or, when the rolled-back one was the first, writes it.
        if (isDeadlock(err) && attempt < DEADLOCK_TRIES) continue;
        throw err;
      }
    }
  }

  async read(day: string): Promise<ReportRow[]> {
    return this.sequelize.query<ReportRow>(
      'SELECT dimension, dim_key, count FROM cs_daily_report WHERE report_date = :day ORDER BY dimension, dim_key',
      { replacements: { day }, type: QueryTypes.SELECT },
    );
  }
}
