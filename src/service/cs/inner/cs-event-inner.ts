import { Op, type Sequelize, type Transaction } from 'sequelize';
import { sqlTime } from '../../../core/db/keyset';
import {
  executeSelect,
  executeWrite,
  type StatementScope,
  type StatementTransaction,
  statementTransaction,
} from '../../../core/db/statements';
import { UserError } from '../../../exception';
import { readYourWrites } from '../../../core/db/mysql';
import { CsEventListInner } from './cs-event-list-inner';
import { countByStatus, findStale } from './cs-event-scans';
import { type EventRow, type RecordRow, toEvent, toRecord } from './cs-event-rows';
import type { CsModels } from '../../../model/cs-event';
import type { CsEvent, CsEventRecord, CsRecordAction, CsStatus, NewCsEvent } from '../cs-types';

export { createdRange } from './cs-event-rows';

/** Index entries one statement of a status count reads at most. */
const COUNT_CHUNK = 200_000;

/** The columns a change may set, in the order an UPDATE names them. */
const EVENT_COLUMNS = ['status', 'handler_id', 'priority', 'category_id', 'compensation', 'content'] as const;

const INSERT_EVENT = `INSERT INTO cs_event (user_id, user_type, phone, order_id, source, category_id, priority, status,
  creator_id, handler_id, compensation, content, request_key, request_scope, request_hash, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

const INSERT_RECORD = `INSERT INTO cs_event_record (event_id, actor_id, via, action, from_status, to_status, handler_id,
  content, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;

const LOCK_EVENT = `SELECT id, user_id, user_type, phone, order_id, source, category_id, priority, status, creator_id,
  handler_id, compensation, content, created_at, updated_at FROM cs_event WHERE id = ? AND deleted_id = 0 FOR UPDATE`;

/** mysql2's error for a row that breaks a unique key (here: the request key). */
function isDuplicateKey(err: unknown): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === 'ER_DUP_ENTRY';
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
  /** The list's keyset reads and bounded counts. */
  readonly lists: CsEventListInner;

  constructor(
    private readonly sequelize: Sequelize,
    private readonly models: CsModels,
    /** Index entries one statement of a status count reads at most (smaller in tests, to walk several chunks). */
    private readonly countChunk = COUNT_CHUNK,
  ) {
    this.lists = new CsEventListInner(sequelize);
  }

  /** A Sequelize transaction, for writes through the models (the category tree). */
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.sequelize.transaction(fn);
  }

  /** A write's own transaction for the prepared statements below (core/db/statements): the event writes' hot path. */
  writeTransaction<T>(fn: (tx: StatementTransaction) => Promise<T>): Promise<T> {
    return statementTransaction(this.sequelize, fn);
  }

  /**
   * Inserts an event (a prepared statement: see core/db/statements) and
   * returns it as written, its id and times included, without reading it back.
   */
  async insertEvent(
    tx: StatementScope,
    row: NewCsEvent & {
      status: CsStatus;
      creator_id: number;
      handler_id: number;
      request_scope: string;
      request_hash: string | null;
    },
    at: Date,
  ): Promise<CsEvent> {
    const compensation = row.compensation.toFixed(2);
    const time = sqlTime(at.toISOString());
    let insertId: number;
    try {
      ({ insertId } = await executeWrite(tx, INSERT_EVENT, [
        row.user_id,
        row.user_type,
        row.phone,
        row.order_id,
        row.source,
        row.category_id,
        row.priority,
        row.status,
        row.creator_id,
        row.handler_id,
        compensation,
        row.content,
        row.request_key ?? null,
        row.request_scope,
        row.request_hash,
        time,
        time,
      ]));
    } catch (err) {
      if (isDuplicateKey(err) && row.request_key) {
        throw new UserError('CS_REQUEST_KEY_CONFLICT', { params: { key: row.request_key }, cause: err });
      }
      throw err;
    }
    const iso = at.toISOString();
    return {
      id: Number(insertId),
      user_id: row.user_id,
      user_type: row.user_type,
      phone: row.phone,
      order_id: row.order_id,
      source: row.source,
      category_id: row.category_id,
      priority: row.priority,
      status: row.status,
      creator_id: row.creator_id,
      handler_id: row.handler_id,
      compensation: Number(compensation),
      content: row.content,
      created_at: iso,
      updated_at: iso,
    };
  }

  /** One live event under a row lock in `tx` (SELECT ... FOR UPDATE), as a prepared statement. */
  async lockEvent(tx: StatementScope, id: number): Promise<CsEvent | undefined> {
    const [row] = await executeSelect<EventRow>(tx, LOCK_EVENT, [id]);
    return row ? toEvent(row) : undefined;
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

  /** Sets the given columns and updated_at (`at`) of one event in `tx`. */
  async updateEvent(tx: StatementScope, id: number, columns: EventColumns, at: Date): Promise<void> {
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const name of EVENT_COLUMNS) {
      const value = columns[name];
      if (value === undefined) continue;
      sets.push(`${name} = ?`);
      values.push(name === 'compensation' ? (value as number).toFixed(2) : value);
    }
    sets.push('updated_at = ?');
    values.push(sqlTime(at.toISOString()), id);
    await executeWrite(tx, `UPDATE cs_event SET ${sets.join(', ')} WHERE id = ?`, values);
  }

  /** Soft-deletes one live event in `tx`; false when it was not there or already deleted. */
  async softDeleteEvent(tx: StatementScope, id: number, at: Date): Promise<boolean> {
    const time = sqlTime(at.toISOString());
    const { affectedRows } = await executeWrite(
      tx,
      'UPDATE cs_event SET deleted_id = id, deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_id = 0',
      [time, time, id],
    );
    return affectedRows === 1;
  }

  /** Appends one record to an event's timeline in `tx`, written at `at`. */
  async insertRecord(tx: StatementScope, record: NewRecord, at: Date): Promise<void> {
    await executeWrite(tx, INSERT_RECORD, [
      record.event_id,
      record.actor_id,
      record.via ?? '',
      record.action,
      record.from_status,
      record.to_status,
      record.handler_id,
      record.content,
      sqlTime(at.toISOString()),
    ]);
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

  /** Live events not done, below the top priority and untouched since `cutoff`: see cs-event-scans. */
  findStale(
    cutoff: Date,
    maxPriority: number,
    limit: number,
    after?: { updated_at: string; id: number },
  ): Promise<{ id: number; updated_at: string }[]> {
    return findStale(this.sequelize, cutoff, maxPriority, limit, after);
  }

  /**
   * Live events per status, straight from the primary: the counts are cached
   * and then kept by deltas, so a lagging replica's counts would stay wrong.
   */
  countByStatus(): Promise<Record<string, number>> {
    return countByStatus(this.sequelize, this.countChunk);
  }
}
