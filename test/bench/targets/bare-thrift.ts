import { Redis } from 'ioredis';
import Int64 from 'node-int64';
import thrift from 'thrift';
import {
  type CreateCsEventRequest,
  CsEvent,
  CsSource,
  CsStatus,
  CsUserType,
  UserException,
} from '../../../thrift/gen-nodejs/tandem_types';
import { Processor as TandemProcessor } from '../../../thrift/gen-nodejs/Tandem';
import { type BareEvent, bareCreate } from './bare-writes';

/**
 * The bare `thrift` baseline: the library's own server, framed transport and
 * binary protocol, with the generated processor and a handler that answers
 * at once. Later scenarios add their bare method here. Listens on
 * 127.0.0.1:BENCH_PORT.
 */
const redis = new Redis(process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0', {
  keyPrefix: process.env.BENCH_REDIS_PREFIX,
});

type Cached = Record<string, string | number | null>;
const enumOf = (table: Record<string, unknown>, value: unknown): number => table[String(value).toUpperCase()] as number;
const i64 = (value: unknown): Int64 | undefined => (value === null ? undefined : new Int64(Number(value)));

const nameOf = (table: Record<string, unknown>, value: number): string =>
  (Object.keys(table).find((k) => table[k] === value) ?? 'others').toLowerCase();

/** The IDL struct of an event, from a cached JSON entry or a row the bare write made. */
function toIdl(e: Cached | BareEvent): CsEvent {
  return new CsEvent({
    id: i64(e.id),
    user_id: i64(e.user_id),
    user_type: enumOf(CsUserType, e.user_type),
    phone: e.phone,
    order_id: e.order_id === null ? undefined : new Int64(BigInt(e.order_id).toString(16).padStart(16, '0')),
    source: enumOf(CsSource, e.source),
    category_id: i64(e.category_id),
    priority: e.priority,
    status: enumOf(CsStatus, e.status),
    creator_id: i64(e.creator_id),
    handler_id: i64(e.handler_id),
    compensation: e.compensation,
    content: e.content,
    created_at: e.created_at,
    updated_at: e.updated_at,
  } as unknown as ConstructorParameters<typeof CsEvent>[0]);
}

const handler = {
  ping: (): Promise<string> => Promise.resolve('pong'),
  /** The same cache read tandem's get_cs_event makes on a hit, answered as the IDL struct. */
  get_cs_event: async (id: Int64): Promise<CsEvent> => {
    const raw = await redis.get(`cs:event:${id.toNumber(true)}`);
    if (raw === null) throw new UserException({ code: 1100, message: 'not found' });
    return toIdl(JSON.parse(raw) as Cached);
  },
  /** The same statements tandem's create_cs_event runs (bare-writes), answered as the IDL struct. */
  create_cs_event: async (request: CreateCsEventRequest): Promise<CsEvent> => {
    const creator = request.creator_id as unknown as Int64 | null;
    const order = request.order_id as unknown as Int64 | null;
    const event = await bareCreate(creator === null ? 0 : creator.toNumber(true), 'bench', {
      user_id: request.user_id === null ? null : (request.user_id as unknown as Int64).toNumber(true),
      user_type: nameOf(CsUserType, request.user_type),
      phone: request.phone ?? '',
      order_id: order === null ? null : BigInt(`0x${order.toOctetString()}`).toString(),
      source: nameOf(CsSource, request.source),
      priority: request.priority ?? 0,
      compensation: request.compensation ?? 0,
      content: request.content,
    });
    return toIdl(event);
  },
};

const server = thrift.createServer(TandemProcessor, handler, {
  transport: thrift.TFramedTransport,
  protocol: thrift.TBinaryProtocol,
});
// The bare server re-emits each client's socket error (a loader closing its
// sockets); unhandled, that would end the baseline mid-run.
server.on('error', () => undefined);
server.listen(Number(process.env.BENCH_PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
