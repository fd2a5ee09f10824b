/** The statuses of a customer-service event; `done` is final. */
export const CS_STATUSES = ['pending', 'remain', 'follow_up', 'forward', 'done'] as const;
export type CsStatus = (typeof CS_STATUSES)[number];

/** Who reported the event. */
export const CS_USER_TYPES = ['merchant', 'marketing', 'user', 'others'] as const;
export type CsUserType = (typeof CS_USER_TYPES)[number];

/** How the report reached us. */
export const CS_SOURCES = ['phone', 'email', 'weibo', 'wechat', 'online_cs', 'feedback', 'others'] as const;
export type CsSource = (typeof CS_SOURCES)[number];

export const CS_MAX_PRIORITY = 3;

/** A customer-service event as services return it. */
export interface CsEvent {
  id: number;
  user_id: number | null;
  user_type: CsUserType;
  phone: string;
  /** A big integer as a decimal string, exact beyond 2^53. */
  order_id: string | null;
  source: CsSource;
  category_id: number | null;
  priority: number;
  status: CsStatus;
  creator_id: number;
  handler_id: number;
  compensation: number;
  content: string;
  created_at: string;
  updated_at: string;
}

export type CsRecordAction = 'create' | 'transition' | 'update' | 'delete' | 'escalate';

/** One entry of an event's timeline. */
export interface CsEventRecord {
  id: number;
  event_id: number;
  actor_id: number;
  /** The sibling service the change came through (a Thrift caller's name); empty for the back office. */
  via: string;
  action: CsRecordAction;
  from_status: CsStatus | null;
  to_status: CsStatus;
  handler_id: number;
  content: string;
  created_at: string;
}

export interface CsCategory {
  id: number;
  parent_id: number;
  level: number;
  name: string;
  is_valid: boolean;
}

export interface CsCategoryNode extends CsCategory {
  children: CsCategoryNode[];
}

/** Who is acting: a staff member, or a sibling service (id 0 = the system). */
export interface Actor {
  id: number;
  /** May change any event and delete (cs_event.admin). */
  admin: boolean;
  /**
   * Who owns the request keys this actor sends (`service:order`,
   * `system:risk`); `staff:<id>` when absent. One owner's key never finds
   * another owner's event.
   */
  keyScope?: string | undefined;
  /** The sibling service acting on this actor's behalf (a Thrift caller's name), recorded on the timeline. */
  via?: string | undefined;
}

/** The owner of an actor's request keys. */
export function keyScopeOf(actor: Actor): string {
  return actor.keyScope ?? `staff:${actor.id}`;
}

export interface NewCsEvent {
  user_id: number | null;
  user_type: CsUserType;
  phone: string;
  order_id: string | null;
  source: CsSource;
  category_id: number | null;
  priority: number;
  compensation: number;
  content: string;
  handler_id?: number | undefined;
  /** An idempotency key: creating twice with one key returns the first event. */
  request_key?: string | undefined;
}

export interface CsEventPatch {
  priority?: number | undefined;
  category_id?: number | null | undefined;
  compensation?: number | undefined;
  content?: string | undefined;
}

export interface CsTransition {
  to: CsStatus;
  handler_id?: number | undefined;
  note?: string | undefined;
}

export interface CsEventFilter {
  status?: CsStatus[] | undefined;
  category_id?: number | undefined;
  user_type?: CsUserType | undefined;
  priority?: number | undefined;
  source?: CsSource | undefined;
  phone?: string | undefined;
  handler_id?: number | undefined;
  user_id?: number | undefined;
  has_compensation?: boolean | undefined;
  /** Inclusive start date, YYYY-MM-DD (UTC). */
  created_from?: string | undefined;
  /** Inclusive end date, YYYY-MM-DD (UTC): the whole day is included. */
  created_to?: string | undefined;
}

/**
 * One page of a list. `total` counts the whole filtered list: exact when
 * `total_is_exact`, else the cap (the list has more). `page` is null for a
 * page reached by cursor; `next_cursor` is null on the last page.
 */
export interface Page<T> {
  items: T[];
  total: number;
  total_is_exact: boolean;
  page: number | null;
  page_size: number;
  next_cursor: string | null;
}

/** One page of an event's timeline, oldest first; `next_cursor` is null on the last page. */
export interface TimelinePage {
  items: CsEventRecord[];
  page_size: number;
  next_cursor: string | null;
}

export const MAX_PAGE_SIZE = 1000;

/** Tells whether a staff id may be handed events: exists, enabled, and holds the permission cs needs. */
export interface HandlerDirectory {
  /** Whether the staff member exists, is enabled, and holds `permission`. */
  holds(staffId: number, permission: string): Promise<boolean>;
}
