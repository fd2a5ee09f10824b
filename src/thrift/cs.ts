import type Int64 from 'node-int64';
import { validationFailed } from '../core/validation';
import { currentContext } from '../core/ctx';
import { callerName, decimalToI64, i64ToDecimal, i64ToNumber, numberToI64, operationMethod } from '../core/rpc';
import { enumCodec } from './enum-codec';
import type { CsDomain } from '../service/cs';
import type { CsEvent as DomainEvent, CsSource, CsStatus, CsUserType, Page } from '../service/cs/cs-types';
import { MAX_PAGE_SIZE } from '../service/cs/cs-types';
import {
  CsEvent,
  CsEventPage,
  CsSource as IdlSource,
  CsStatus as IdlStatus,
  CsUserType as IdlUserType,
  type CreateCsEventRequest,
  type CsEventsByUserRequest,
} from '../../thrift/gen-nodejs/tandem_types';

const status = enumCodec<CsStatus>(IdlStatus);
const userType = enumCodec<CsUserType>(IdlUserType);
const source = enumCodec<CsSource>(IdlSource);

function toIdl(e: DomainEvent): CsEvent {
  return new CsEvent({
    id: numberToI64(e.id),
    user_id: e.user_id === null ? undefined : numberToI64(e.user_id),
    user_type: userType.encode(e.user_type),
    phone: e.phone,
    order_id: e.order_id === null ? undefined : decimalToI64(e.order_id),
    source: source.encode(e.source),
    category_id: e.category_id === null ? undefined : numberToI64(e.category_id),
    priority: e.priority,
    status: status.encode(e.status),
    creator_id: numberToI64(e.creator_id),
    handler_id: numberToI64(e.handler_id),
    compensation: e.compensation,
    content: e.content,
    created_at: e.created_at,
    updated_at: e.updated_at,
  });
}

/**
 * An id argument: 1 or more, as HTTP takes in a path (`/api/cs/events/-1` is
 * a 400 naming `params.id`); 0 or a negative id is a 1001 naming the field,
 * not a search that finds nothing (1100).
 */
function positiveId(value: Int64, field: string): number {
  const n = i64ToNumber(value, field);
  if (n < 1) throw validationFailed([{ field, message: 'expected a positive id' }]);
  return n;
}

function optionalId(value: Int64 | null | undefined, field: string): number | null {
  return value === null || value === undefined ? null : i64ToNumber(value, field);
}

/**
 * The IDL request as plain values (i64s as numbers or decimals, numbered
 * enums as their names), for the operation's own schema to check: the rules
 * are the domain's, the same the HTTP door checks a body with.
 */
function decodeCreate(req: CreateCsEventRequest): Record<string, unknown> {
  const order = req.order_id as Int64 | null | undefined;
  return {
    user_id: optionalId(req.user_id, 'request.user_id'),
    user_type: userType.decode(req.user_type, 'request.user_type'),
    phone: req.phone ?? undefined,
    order_id: order === null || order === undefined ? null : i64ToDecimal(order),
    source: source.decode(req.source, 'request.source'),
    category_id: optionalId(req.category_id, 'request.category_id'),
    priority: req.priority ?? undefined,
    compensation: req.compensation ?? undefined,
    content: req.content ?? undefined,
    handler_id: optionalId(req.handler_id, 'request.handler_id') ?? undefined,
    request_key: req.request_key ?? undefined,
  };
}

/** The staff member a sibling acts for (IDL-only: over HTTP it is the logged-in one); 0 for the system. */
function creatorOf(req: CreateCsEventRequest): number {
  const creator = req.creator_id as Int64 | null | undefined;
  return creator === null || creator === undefined ? 0 : i64ToNumber(creator, 'request.creator_id');
}

/**
 * The calling service, named the way thrift.callers names a caller: its
 * verified TLS client certificate's name, else the service name it gave
 * (hello, or a THeader), else its peer address. `keyScope` owns its request
 * keys, so that one caller's key never finds another caller's event; `via`
 * is what the timeline records. Both columns hold 100 characters.
 */
function callingService(): { keyScope: string; via: string } {
  const ctx = currentContext();
  const name = ctx?.caller ?? callerName(ctx?.connection);
  if (name) return { keyScope: `service:${name}`.slice(0, 100), via: name.slice(0, 100) };
  const peer = `peer:${ctx?.connection?.peer ?? ctx?.clientAddress ?? 'unknown'}`.slice(0, 100);
  return { keyScope: peer, via: peer };
}

function toPage(page: Page<DomainEvent>): CsEventPage {
  return new CsEventPage({
    items: page.items.map(toIdl),
    total: page.total,
    page: page.page ?? 0,
    page_size: page.page_size,
    next_cursor: page.next_cursor ?? undefined,
    total_is_exact: page.total_is_exact,
  });
}

/** The cs methods of service Tandem: decode IDL input, run the domain's operation or service, encode the result. */
export function csThriftMethods(cs: CsDomain) {
  const createEvent = operationMethod(cs.operations.createEvent, { part: 'request', encode: toIdl });
  const getEvent = operationMethod(cs.operations.getEvent, { part: '', encode: toIdl });
  return {
    // A sibling service acts as the system or on behalf of the staff member it names; its request keys are its own.
    create_cs_event: (request: CreateCsEventRequest) =>
      createEvent(decodeCreate(request), { id: creatorOf(request), admin: false, ...callingService() }),
    // An id beyond 2^53 is INTEGER_OUT_OF_RANGE here; 0 or a negative id is the operation's 1001 naming `id`.
    get_cs_event: (id: Int64) => getEvent({ id: i64ToNumber(id, 'id') }, { id: 0, admin: false }),
    list_cs_events_by_user: async (userId: Int64, page: number, pageSize: number): Promise<CsEventPage> => {
      if (!Number.isInteger(page) || page < 1)
        throw validationFailed([{ field: 'page', message: 'expected 1 or more' }]);
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE)
        throw validationFailed([{ field: 'page_size', message: `expected 1 to ${MAX_PAGE_SIZE}` }]);
      return toPage(await cs.events.list({ user_id: positiveId(userId, 'user_id') }, { page, pageSize }));
    },
    list_cs_events_by_user_cursor: async (request: CsEventsByUserRequest): Promise<CsEventPage> => {
      const pageSize = request.page_size ?? 20;
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE)
        throw validationFailed([{ field: 'request.page_size', message: `expected 1 to ${MAX_PAGE_SIZE}` }]);
      const userId = request.user_id as Int64 | null | undefined;
      if (userId === null || userId === undefined)
        throw validationFailed([{ field: 'request.user_id', message: 'required' }]);
      const filter = { user_id: positiveId(userId, 'request.user_id') };
      return toPage(await cs.events.list(filter, { cursor: request.cursor ?? undefined, pageSize }));
    },
  };
}
