import type Int64 from 'node-int64';
import { i64ToNumber, numberToI64 } from '../core/rpc';
import { UserError } from '../exception';
import type { CsDomain } from '../service/cs';
import type { CsEvent as DomainEvent, CsSource, CsStatus, CsUserType, Page } from '../service/cs/cs-types';
import { CS_MAX_PRIORITY, MAX_PAGE_SIZE } from '../service/cs/cs-types';
import {
  CsEvent,
  CsEventPage,
  CsSource as IdlSource,
  CsStatus as IdlStatus,
  CsUserType as IdlUserType,
  type CreateCsEventRequest,
} from '../../thrift/gen-nodejs/tandem_types';
import { decimalToI64, i64ToDecimal } from './int64-codec';

/** Maps a domain string enum to the IDL's numbered enum and back, by upper-cased name. */
function enumCodec<T extends string>(idl: Record<string, string | number>) {
  return {
    encode: (value: T): number => idl[value.toUpperCase()] as number,
    decode: (value: number | undefined, field: string): T => {
      const name = typeof value === 'number' ? idl[value] : undefined;
      if (typeof name !== 'string') {
        throw new UserError('VALIDATION_FAILED', { params: { fields: `${field} (unknown value ${String(value)})` } });
      }
      return name.toLowerCase() as T;
    },
  };
}

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

function invalid(field: string, message: string): UserError {
  return new UserError('VALIDATION_FAILED', {
    params: { fields: `${field} (${message})` },
    fields: [{ field, message }],
  });
}

function optionalId(value: Int64 | null | undefined, field: string): number | null {
  if (value === null || value === undefined) return null;
  const n = i64ToNumber(value, field);
  if (n <= 0) throw invalid(field, 'must be positive');
  return n;
}

/** The same checks as the HTTP schema, for a request that came over Thrift. */
function decodeCreate(req: CreateCsEventRequest) {
  if (!req.content?.trim()) throw invalid('request.content', 'required');
  if (req.content.length > 10000) throw invalid('request.content', 'at most 10000 characters');
  const priority = req.priority ?? 0;
  if (!Number.isInteger(priority) || priority < 0 || priority > CS_MAX_PRIORITY)
    throw invalid('request.priority', 'expected 0 to 3');
  const compensation = req.compensation ?? 0;
  if (!(compensation >= 0 && compensation <= 1e9) || Math.round(compensation * 100) !== compensation * 100) {
    throw invalid('request.compensation', 'expected a non-negative amount with at most two decimals');
  }
  if ((req.phone ?? '').length > 32) throw invalid('request.phone', 'at most 32 characters');
  if (
    req.request_key !== undefined &&
    req.request_key !== null &&
    (req.request_key.length < 1 || req.request_key.length > 64)
  ) {
    throw invalid('request.request_key', 'expected 1 to 64 characters');
  }
  const order = req.order_id as Int64 | null | undefined;
  const creator = req.creator_id as Int64 | null | undefined;
  return {
    creatorId: creator === null || creator === undefined ? 0 : i64ToNumber(creator, 'request.creator_id'),
    input: {
      user_id: optionalId(req.user_id, 'request.user_id'),
      user_type: userType.decode(req.user_type, 'request.user_type'),
      phone: req.phone ?? '',
      order_id: order === null || order === undefined ? null : i64ToDecimal(order, 'request.order_id'),
      source: source.decode(req.source, 'request.source'),
      category_id: optionalId(req.category_id, 'request.category_id'),
      priority,
      compensation,
      content: req.content.trim(),
      handler_id: optionalId(req.handler_id, 'request.handler_id') ?? undefined,
      request_key: req.request_key ?? undefined,
    },
  };
}

function toPage(page: Page<DomainEvent>): CsEventPage {
  return new CsEventPage({
    items: page.items.map(toIdl),
    total: page.total,
    page: page.page,
    page_size: page.page_size,
  });
}

/** The cs methods of service Tandem: decode IDL input, call the service, encode the result. */
export function csThriftMethods(cs: CsDomain) {
  return {
    create_cs_event: async (request: CreateCsEventRequest): Promise<CsEvent> => {
      const { creatorId, input } = decodeCreate(request);
      // A sibling service acts as the system or on behalf of the staff member it names.
      return toIdl(await cs.events.create({ id: creatorId, admin: false }, input));
    },
    get_cs_event: async (id: Int64): Promise<CsEvent> => toIdl(await cs.events.get(i64ToNumber(id, 'id'))),
    list_cs_events_by_user: async (userId: Int64, page: number, pageSize: number): Promise<CsEventPage> => {
      if (!Number.isInteger(page) || page < 1) throw invalid('page', 'expected 1 or more');
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE)
        throw invalid('page_size', `expected 1 to ${MAX_PAGE_SIZE}`);
      return toPage(await cs.events.list({ user_id: i64ToNumber(userId, 'user_id') }, page, pageSize));
    },
  };
}
