import { Op, type Sequelize, type Transaction, UniqueConstraintError } from 'sequelize';
import { UserError } from '../../../exception';
import { readYourWrites } from '../../../core/db/mysql';
import { softDeleteById } from '../../../model/base';
import { CsEventListInner } from './cs-event-list-inner';
import { type RecordRow, toEvent, toRecord } from './cs-event-rows';
import type { CsEventRow, CsModels } from '../../../model/cs-event';
import type { CsEvent, CsEventRecord, CsRecordAction, CsStatus, NewCsEvent } from '../cs-types';

export { createdRange } from './cs-event-rows';

export interface NewRecord {
  event_id: number;
  actor_id: number;
  via?: string;
  action: CsRecordAction;
  from_status: CsStatus | null;
  to_status: CsStatus;
  handler_id: number;
  content: string;
}

export interface EventColumns {
  status?: CsStatus;
  handler_id?: number;
  priority?: number;
  category_id?: number | null;
  compensation?: number;
  content?: string;
}

/** Data access for cs_event and cs_event_record: queries only, no business rules. */
export class CsEventInner {
  /** The list's keyset reads and bounded counts. */
  readonly lists: CsEventListInner;

  constructor(
    private readonly sequelize: Sequelize,
    private readonly models: CsModels,
  ) {
    this.lists = new CsEventListInner(sequelize);
  }

  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.sequelize.transaction(fn);
  }

  async insertEvent(
    tx: Transaction,
    row: NewCsEvent & { status: CsStatus; creator_id: number; handler_id: number; request_scope: string },
  ): Promise<CsEvent> {
    let created: CsEventRow;
    try {
      created = await this.models.CsEvent.create(
        {
          user_id: row.user_id === null ? null : String(row.user_id),
          user_type: row.user_type,
          phone: row.phone,
          order_id: row.order_id,
          source: row.source,
          category_id: row.category_id === null ? null : String(row.category_id),
          priority: row.priority,
          status: row.status,
          creator_id: String(row.creator_id),
          handler_id: String(row.handler_id),
          compensation: row.compensation.toFixed(2),
          content: row.content,
          request_key: row.request_key ?? null,
          request_scope: row.request_scope,
        },
        { transaction: tx },
      );
    } catch (err) {
      if (err instanceof UniqueConstraintError && row.request_key) {
        throw new UserError('CS_REQUEST_KEY_CONFLICT', { params: { key: row.request_key }, cause: err });
      }
      throw err;
    }
    // create() returns every column as written (id, timestamps and defaults included): no re-read needed.
    return toEvent(created.get({ plain: true }));
  }

  /**
   * One live event. `lock` takes a row lock (SELECT ... FOR UPDATE) inside
   * `tx`, so concurrent changes of one event run one after another on fresh
   * state. `primary` reads from the primary (read-your-writes).
   */
  async findEvent(
    id: number,
    options: { tx?: Transaction; lock?: boolean; primary?: boolean } = {},
  ): Promise<CsEvent | undefined> {
    const base = {
      raw: true,
      transaction: options.tx ?? null,
      lock: options.lock && options.tx ? options.tx.LOCK.UPDATE : undefined,
    };
    const row = await this.models.CsEvent.findOne({
      where: { id },
      ...(options.primary ? readYourWrites(base) : base),
    });
    return row ? toEvent(row) : undefined;
  }

  /** The live event created with this key by this scope's owner (see CsEventService.create). */
  async findByRequestKey(scope: string, key: string, tx?: Transaction, primary = false): Promise<CsEvent | undefined> {
    const base = { where: { request_scope: scope, request_key: key }, raw: true, transaction: tx ?? null };
    const row = await this.models.CsEvent.findOne(primary ? readYourWrites(base) : base);
    return row ? toEvent(row) : undefined;
  }

  async updateEvent(tx: Transaction, id: number, columns: EventColumns): Promise<void> {
    const values: Record<string, unknown> = { ...columns };
    if (columns.compensation !== undefined) values.compensation = columns.compensation.toFixed(2);
    await this.models.CsEvent.update(values, { where: { id }, transaction: tx });
  }

  async softDeleteEvent(tx: Transaction, id: number): Promise<boolean> {
    return softDeleteById(this.models.CsEvent, id, tx);
  }

  async insertRecord(tx: Transaction, record: NewRecord): Promise<void> {
    await this.models.CsEventRecord.create(record, { transaction: tx });
  }

  /** One page of an event's timeline, oldest first, after the record `afterId` (0: from the first). */
  async listRecords(eventId: number, afterId = 0, limit?: number): Promise<CsEventRecord[]> {
    const rows = await this.models.CsEventRecord.findAll({
      where: { event_id: eventId, ...(afterId > 0 ? { id: { [Op.gt]: afterId } } : {}) },
      order: [['id', 'ASC']],
      ...(limit === undefined ? {} : { limit }),
      raw: true,
    });
    return (rows as unknown as RecordRow[]).map(toRecord);
  }

  /** Ids of live events not done, below the top priority, and untouched since `cutoff`, oldest first. */
  async findStaleIds(cutoff: Date, maxPriority: number, limit: number): Promise<number[]> {
    const rows = await this.models.CsEvent.findAll({
      attributes: ['id'],
      where: { status: { [Op.ne]: 'done' }, priority: { [Op.lt]: maxPriority }, updated_at: { [Op.lt]: cutoff } },
      order: [['updated_at', 'ASC']],
      limit,
      raw: true,
    });
    return (rows as unknown as { id: string | number }[]).map((r) => Number(r.id));
  }

  /**
   * Live events per status, straight from the primary: the counts are cached
   * and then kept by deltas, so a lagging replica's counts would stay wrong.
   */
  async countByStatus(): Promise<Record<string, number>> {
    const rows = await this.models.CsEvent.findAll({
      attributes: ['status', [this.sequelize.fn('COUNT', this.sequelize.col('id')), 'n']],
      group: ['status'],
      raw: true,
      useMaster: true,
    });
    const counts: Record<string, number> = {};
    for (const row of rows as unknown as { status: string; n: string | number }[]) counts[row.status] = Number(row.n);
    return counts;
  }
}
