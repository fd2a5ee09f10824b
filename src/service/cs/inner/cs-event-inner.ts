import { Op, type Sequelize, type Transaction, UniqueConstraintError, type WhereOptions } from 'sequelize';
import { UserError } from '../../../exception';
import { readYourWrites } from '../../../core/db/mysql';
import { softDeleteById } from '../../../model/base';
import type { CsEventRow, CsEventRecordRow, CsModels } from '../../../model/cs-event';
import type {
  CsEvent,
  CsEventFilter,
  CsEventRecord,
  CsRecordAction,
  CsSource,
  CsStatus,
  CsUserType,
  NewCsEvent,
} from '../cs-types';

type Plain<T> = Omit<T, keyof import('sequelize').Model>;
type EventRow = Plain<CsEventRow>;
type RecordRow = Plain<CsEventRecordRow>;

const num = (v: string | number): number => (typeof v === 'number' ? v : Number(v));
const numOrNull = (v: string | number | null): number | null => (v === null ? null : num(v));
const iso = (d: Date | string): string => (d instanceof Date ? d : new Date(d)).toISOString();

function toEvent(row: EventRow): CsEvent {
  return {
    id: num(row.id),
    user_id: numOrNull(row.user_id),
    user_type: row.user_type as CsUserType,
    phone: row.phone,
    order_id: row.order_id === null ? null : String(row.order_id),
    source: row.source as CsSource,
    category_id: numOrNull(row.category_id),
    priority: num(row.priority),
    status: row.status as CsStatus,
    creator_id: num(row.creator_id),
    handler_id: num(row.handler_id),
    compensation: Number(row.compensation),
    content: row.content,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

function toRecord(row: RecordRow): CsEventRecord {
  return {
    id: num(row.id),
    event_id: num(row.event_id),
    actor_id: num(row.actor_id),
    via: row.via,
    action: row.action as CsRecordAction,
    from_status: row.from_status as CsStatus | null,
    to_status: row.to_status as CsStatus,
    handler_id: num(row.handler_id),
    content: row.content,
    created_at: iso(row.created_at),
  };
}

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
  constructor(
    private readonly sequelize: Sequelize,
    private readonly models: CsModels,
  ) {}

  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.sequelize.transaction(fn);
  }

  async insertEvent(
    tx: Transaction,
    row: NewCsEvent & {
      status: CsStatus;
      creator_id: number;
      handler_id: number;
      request_scope: string;
      request_hash: string | null;
    },
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
          request_hash: row.request_hash,
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

  /**
   * The live event created with this key by this scope's owner, and the hash
   * of the request it was created from (null for rows from before hashes were
   * kept); see CsEventService.create.
   */
  async findByRequestKey(
    scope: string,
    key: string,
    tx?: Transaction,
    primary = false,
  ): Promise<{ event: CsEvent; requestHash: string | null } | undefined> {
    const base = { where: { request_scope: scope, request_key: key }, raw: true, transaction: tx ?? null };
    const row = await this.models.CsEvent.findOne(primary ? readYourWrites(base) : base);
    return row ? { event: toEvent(row), requestHash: row.request_hash } : undefined;
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

  async listRecords(eventId: number): Promise<CsEventRecord[]> {
    const rows = await this.models.CsEventRecord.findAll({
      where: { event_id: eventId },
      order: [['id', 'ASC']],
      raw: true,
    });
    return (rows as unknown as RecordRow[]).map(toRecord);
  }

  async listEvents(
    filter: CsEventFilter & { category_ids?: number[] },
    page: number,
    pageSize: number,
  ): Promise<{ items: CsEvent[]; total: number }> {
    const where: Record<string | symbol, unknown> = {};
    if (filter.status?.length) where.status = { [Op.in]: filter.status };
    if (filter.category_ids) where.category_id = { [Op.in]: filter.category_ids };
    if (filter.user_type) where.user_type = filter.user_type;
    if (filter.priority !== undefined) where.priority = filter.priority;
    if (filter.source) where.source = filter.source;
    if (filter.phone) where.phone = filter.phone;
    if (filter.handler_id !== undefined) where.handler_id = filter.handler_id;
    if (filter.user_id !== undefined) where.user_id = filter.user_id;
    if (filter.has_compensation !== undefined) where.compensation = filter.has_compensation ? { [Op.gt]: 0 } : 0;
    const range = createdRange(filter.created_from, filter.created_to);
    if (range.gte || range.lt) {
      where.created_at = { ...(range.gte ? { [Op.gte]: range.gte } : {}), ...(range.lt ? { [Op.lt]: range.lt } : {}) };
    }
    const { rows, count } = await this.models.CsEvent.findAndCountAll({
      where: where as WhereOptions,
      order: [
        ['updated_at', 'DESC'],
        ['id', 'DESC'],
      ],
      limit: pageSize,
      offset: (page - 1) * pageSize,
      raw: true,
    });
    return { items: (rows as unknown as EventRow[]).map(toEvent), total: count };
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

/** The UTC bounds of an inclusive date range: the end date includes its whole day. */
export function createdRange(from?: string, to?: string): { gte?: Date; lt?: Date } {
  const range: { gte?: Date; lt?: Date } = {};
  if (from) range.gte = new Date(`${from}T00:00:00.000Z`);
  if (to) {
    const end = new Date(`${to}T00:00:00.000Z`);
    end.setUTCDate(end.getUTCDate() + 1);
    range.lt = end;
  }
  return range;
}
