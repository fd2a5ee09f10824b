import type { CsEventRow, CsEventRecordRow } from '../../../model/cs-event';
import type { CsEvent, CsEventRecord, CsRecordAction, CsSource, CsStatus, CsUserType } from '../cs-types';

/** Rows of cs_event and cs_event_record as services see them: shared by the event and list inners. */
type Plain<T> = Omit<T, keyof import('sequelize').Model>;
export type EventRow = Plain<CsEventRow>;
export type RecordRow = Plain<CsEventRecordRow>;

const num = (v: string | number): number => (typeof v === 'number' ? v : Number(v));
const numOrNull = (v: string | number | null): number | null => (v === null ? null : num(v));
const iso = (d: Date | string): string => (d instanceof Date ? d : new Date(d)).toISOString();

/** An event row as services return it (also read by the list inner, from raw SELECTs). */
export function toEvent(row: EventRow): CsEvent {
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

export function toRecord(row: RecordRow): CsEventRecord {
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
