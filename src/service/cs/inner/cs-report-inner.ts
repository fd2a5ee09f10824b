import { DatabaseError, QueryTypes, type Sequelize, UniqueConstraintError } from 'sequelize';

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

  /** Live events created in [from, to) per status and per category. */
  async countCreated(from: Date, to: Date): Promise<ReportRow[]> {
    const byStatus = await this.sequelize.query<{ k: string; n: string | number }>(
      'SELECT status AS k, COUNT(*) AS n FROM cs_event WHERE deleted_id = 0 AND created_at >= :from AND created_at < :to GROUP BY status',
      { replacements: { from, to }, type: QueryTypes.SELECT },
    );
    const byCategory = await this.sequelize.query<{ k: string | null; n: string | number }>(
      'SELECT category_id AS k, COUNT(*) AS n FROM cs_event WHERE deleted_id = 0 AND created_at >= :from AND created_at < :to GROUP BY category_id',
      { replacements: { from, to }, type: QueryTypes.SELECT },
    );
    return [
      ...byStatus.map((r) => ({ dimension: 'status' as const, dim_key: String(r.k), count: Number(r.n) })),
      ...byCategory.map((r) => ({
        dimension: 'category' as const,
        dim_key: r.k === null ? 'none' : String(r.k),
        count: Number(r.n),
      })),
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
