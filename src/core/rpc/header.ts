import thrift from 'thrift';
import { requestIdFrom } from '../ctx';
import { isServiceName } from './connection-state';

/** Apache Thrift's header transport (THeader): what the library offers of it, and the headers tandem reads. */

/** What the library's THeaderTransport (the base of its transports) offers; the typings do not declare it. */
export interface HeaderTransport {
  inBuf: Buffer;
  readCursor: number;
  writeCursor: number;
  readHeaders(): Record<string, string>;
  getProtocolId(): number;
  setProtocolId(id: number): void;
  getSeqId(): number;
  setSeqId(id: number): void;
  setWriteHeader(key: string, value: string): void;
  clearWriteHeaders(): void;
  /** Puts the header block in front of what was written; THeaderProtocol#flush calls it. */
  writeHeaders(): void;
}

export const SUBPROTOCOL_BINARY = 0;
export const SUBPROTOCOL_COMPACT = 2;
export const THeaderProtocol = (
  thrift as unknown as { THeaderProtocol: new (trans: thrift.TTransport) => thrift.TProtocol }
).THeaderProtocol;

/** The header a reply carries the call's request id in. */
export const REQUEST_ID_HEADER = 'request-id';
const REQUEST_ID_HEADERS = ['request-id', 'request_id', 'x-request-id'];
const SERVICE_HEADERS = ['service-name', 'service_name', 'client-name', 'client_name', 'caller'];

/** The caller's request id (its own, or a traceparent's trace id; undefined for none usable) and service name. */
export function callerHeaders(headers: Record<string, string>): {
  requestId: string | undefined;
  service: string | undefined;
  /** The caller's W3C trace context, passed on to the call's span (core/trace validates it). */
  traceparent: string | undefined;
  tracestate: string | undefined;
} {
  let id: string | undefined;
  let traceparent: string | undefined;
  let tracestate: string | undefined;
  let service: string | undefined;
  for (const [key, value] of Object.entries(headers)) {
    const k = key.toLowerCase();
    if (REQUEST_ID_HEADERS.includes(k)) id = value;
    else if (k === 'traceparent') traceparent = value;
    else if (k === 'tracestate') tracestate = value;
    else if (SERVICE_HEADERS.includes(k) && isServiceName(value)) service = value;
  }
  return {
    requestId: id || traceparent ? requestIdFrom(id, traceparent) : undefined,
    service,
    traceparent,
    tracestate,
  };
}
