import { QueryTypes, type Sequelize, type Transaction, UniqueConstraintError } from 'sequelize';
import { readYourWrites } from '../../../core/db/mysql';
import type { FlaggedFilter, FlaggedOrder, RiskVerdict } from '../risk-types';
import { sqlTime } from '../../../core/db/keyset';
import type { FlaggedOrderStore, ListRead, UnfinishedCursor, VerdictWork } from './flagged-store';

interface Row {
  order_id: string;
  status: FlaggedOrder['status'];
  rule_names: string;
  doc: string | { order: FlaggedOrder['order']; hits: FlaggedOrder['hits'] };
  flagged_at: Date | string;
  reviewed_at: Date | string | null;
  reviewer_id: string | number | null;
  note: string | null;
  cs_event_id: string | number | null;
  report_status: FlaggedOrder['report_status'];
}

const iso = (d: Date | string): string => (d instanceof Date ? d : new Date(d)).toISOString();

function toFlagged(row: Row): FlaggedOrder {
  const doc = typeof row.doc === 'string' ? (JSON.parse(row.doc) as Exclude<Row['doc'], string>) : row.doc;
  return {
    order_id: String(row.order_id),
    order: doc.order,
    hits: doc.hits,
    rules: row.rule_names ? row.rule_names.split(',') : [],
    status: row.status,
    flagged_at: iso(row.flagged_at),
    reviewed_at: row.reviewed_at === null ? null : iso(row.reviewed_at),
    reviewer_id: row.reviewer_id === null ? null : Number(row.reviewer_id),
    note: row.note,
    cs_event_id: row.cs_event_id === null ? null : Number(row.cs_event_id),
    report_status: row.report_status,
  };
}

/** Flagged orders in MySQL (table risk_flagged_order, migration 0004). */
export class MysqlFlaggedStore implements FlaggedOrderStore {
  readonly kind = 'mysql' as const;

  constructor(private readonly sequelize: Sequelize) {}

  async init(): Promise<void> {
    await this.sequelize.query('SELECT 1 FROM risk_flagged_order LIMIT 1');
  }

  async insertIfAbsent(doc: FlaggedOrder): Promise<boolean> {
    try {
      await this.sequelize.query(
        `INSERT INTO risk_flagged_order (order_id, status, rule_names, doc, flagged_at, report_status)
         VALUES (:order_id, :status, :rules, :doc, :flagged_at, :report_status)`,
        {
          replacements: {
            order_id: doc.order_id,
            status: doc.status,
            rules: doc.rules.join(','),
            doc: JSON.stringify({ order: doc.order, hits: doc.hits }),
            flagged_at: new Date(doc.flagged_at),
            report_status: doc.report_status,
          },
        },
      );
      return true;
    } catch (err) {
      if (err instanceof UniqueConstraintError) return false;
      throw err;
    }
  }

  async get(orderId: string, options: { primary?: boolean } = {}): Promise<FlaggedOrder | undefined> {
    const query = { replacements: { orderId }, type: QueryTypes.SELECT } as const;
    const rows = await this.sequelize.query<Row>(
      'SELECT * FROM risk_flagged_order WHERE order_id = :orderId',
      options.primary ? readYourWrites(query) : query,
    );
    return rows[0] ? toFlagged(rows[0]) : undefined;
  }

  private where(filter: FlaggedFilter): { clause: string; replacements: Record<string, unknown> } {
    const where: string[] = [];
    const replacements: Record<string, unknown> = {};
    if (filter.status) {
      where.push('status = :status');
      replacements.status = filter.status;
    }
    if (filter.rule) {
      // Not indexable (a list in one column): checked on the rows read in date order; every rule flags a
      // sizeable share of the orders, so a page reads a few pages of rows.
      where.push('FIND_IN_SET(:rule, rule_names) > 0');
      replacements.rule = filter.rule;
    }
    return { clause: where.length ? `WHERE ${where.join(' AND ')}` : '', replacements };
  }

  /** Through (status, flagged_at) with a status, else (flagged_at); the primary key order_id ends both. */
  private index(filter: FlaggedFilter): string {
    return filter.status ? 'idx_risk_status_flagged' : 'idx_risk_flagged';
  }

  async list(filter: FlaggedFilter, read: ListRead): Promise<FlaggedOrder[]> {
    const { clause, replacements } = this.where(filter);
    const terms = clause ? [clause.slice('WHERE '.length)] : [];
    if (read.after) {
      terms.push('(flagged_at < :afterAt OR (flagged_at = :afterAt AND order_id < :afterId))');
      replacements.afterAt = sqlTime(read.after.at);
      replacements.afterId = read.after.id;
    }
    const rows = await this.sequelize.query<Row>(
      `SELECT * FROM risk_flagged_order FORCE INDEX (${this.index(filter)})
        ${terms.length ? `WHERE ${terms.join(' AND ')}` : ''}
        ORDER BY flagged_at DESC, order_id DESC LIMIT :offset, :limit`,
      { replacements: { ...replacements, offset: read.offset, limit: read.limit }, type: QueryTypes.SELECT },
    );
    return rows.map(toFlagged);
  }

  async count(filter: FlaggedFilter, cap: number): Promise<number> {
    const { clause, replacements } = this.where(filter);
    const [row] = await this.sequelize.query<{ n: string | number }>(
      `SELECT COUNT(*) AS n FROM (SELECT 1 FROM risk_flagged_order FORCE INDEX (${this.index(filter)}) ${clause} LIMIT ${cap + 1}) AS capped`,
      { replacements, type: QueryTypes.SELECT },
    );
    return Number(row?.n ?? 0);
  }

  judge(
    orderId: string,
    verdict: RiskVerdict,
    review: { reviewer_id: number; note: string },
    work: VerdictWork,
  ): Promise<boolean> {
    return this.sequelize.transaction(async (tx: Transaction) => {
      const [result] = await this.sequelize.query(
        `UPDATE risk_flagged_order
            SET status = :verdict, reviewed_at = NOW(3), reviewer_id = :reviewer, note = :note,
                report_status = IF(:verdict = 'fraud', 'pending', 'none')
          WHERE order_id = :orderId AND status = 'pending'`,
        { replacements: { orderId, verdict, reviewer: review.reviewer_id, note: review.note }, transaction: tx },
      );
      if (((result as { affectedRows?: number }).affectedRows ?? 0) !== 1) return false;
      const { cs_event_id } = await work(tx);
      if (cs_event_id !== null) {
        await this.sequelize.query('UPDATE risk_flagged_order SET cs_event_id = :e WHERE order_id = :orderId', {
          replacements: { e: cs_event_id, orderId },
          transaction: tx,
        });
      }
      return true;
    });
  }

  async setEvent(orderId: string, csEventId: number): Promise<void> {
    await this.sequelize.query('UPDATE risk_flagged_order SET cs_event_id = :e WHERE order_id = :orderId', {
      replacements: { e: csEventId, orderId },
    });
  }

  async setReportStatus(orderId: string, status: FlaggedOrder['report_status']): Promise<void> {
    await this.sequelize.query('UPDATE risk_flagged_order SET report_status = :status WHERE order_id = :orderId', {
      replacements: { status, orderId },
    });
  }

  /**
   * Two ordered reads, each through its own index (migration 0009): fraud
   * verdicts with no event, and reports still pending; merged without
   * duplicates (an order may be in both) in (reviewed_at, order_id) order.
   */
  async unfinished(limit: number, after?: UnfinishedCursor): Promise<FlaggedOrder[]> {
    const position = after
      ? 'AND (reviewed_at > :reviewedAt OR (reviewed_at = :reviewedAt AND order_id > :orderId))'
      : '';
    const rows = await this.sequelize.query<Row>(
      `SELECT * FROM (
         (SELECT * FROM risk_flagged_order FORCE INDEX (idx_risk_status_event_reviewed)
           WHERE status = 'fraud' AND cs_event_id IS NULL AND reviewed_at IS NOT NULL ${position}
           ORDER BY reviewed_at, order_id LIMIT :limit)
         UNION
         (SELECT * FROM risk_flagged_order FORCE INDEX (idx_risk_report_reviewed)
           WHERE report_status = 'pending' AND status = 'fraud' AND reviewed_at IS NOT NULL ${position}
           ORDER BY reviewed_at, order_id LIMIT :limit)
       ) AS unfinished ORDER BY reviewed_at, order_id LIMIT :limit`,
      {
        replacements: {
          limit,
          reviewedAt: after ? sqlTime(after.reviewed_at) : null,
          orderId: after?.order_id ?? null,
        },
        type: QueryTypes.SELECT,
      },
    );
    return rows.map(toFlagged);
  }

  async ping(): Promise<void> {
    await this.sequelize.query('SELECT 1');
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
