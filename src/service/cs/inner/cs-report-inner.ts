import { QueryTypes, type Sequelize, UniqueConstraintError } from 'sequelize';

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
      ...byCategory.map((r) => ({ dimension: 'category' as const, dim_key: r.k === null ? 'none' : String(r.k), count: Number(r.n) })),
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
      throw err;
    }
  }

  async read(day: string): Promise<ReportRow[]> {
    return this.sequelize.query<ReportRow>(
      'SELECT dimension, dim_key, count FROM cs_daily_report WHERE report_date = :day ORDER BY dimension, dim_key',
      { replacements: { day }, type: QueryTypes.SELECT },
    );
  }
}
