import http from 'node:http';
import type { AddressInfo } from 'node:net';
// The OpenTelemetry project's own generated protobuf definitions, as its npm package ships them (never a hand-written copy).
import generatedRoot from '@opentelemetry/otlp-transformer/build/src/generated/root';
import { waitFor } from './wait';

/** One span as the receiver got it, ids in hex. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  status: number;
}

interface AnyValue {
  /** Which field of the `value` oneof is set (protobufjs names it on the decoded message). */
  value?: string;
  stringValue?: string;
  intValue?: number | { low: number; high: number };
  boolValue?: boolean;
  doubleValue?: number;
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}
interface DecodedSpan {
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId?: Uint8Array;
  name: string;
  kind: number;
  attributes: KeyValue[];
  status?: { code?: number };
}
interface DecodedRequest {
  resourceSpans: { resource?: { attributes: KeyValue[] }; scopeSpans: { spans: DecodedSpan[] }[] }[];
}
interface MessageType {
  decode(bytes: Uint8Array): DecodedRequest;
}

/** ExportTraceServiceRequest of opentelemetry-proto, from the package's generated root. */
const ExportTraceServiceRequest = (
  generatedRoot as unknown as {
    opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: MessageType } } } } };
  }
).opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

const hex = (bytes: Uint8Array | undefined): string => (bytes ? Buffer.from(bytes).toString('hex') : '');

function valueOf(value: AnyValue | undefined): string | number | boolean {
  switch (value?.value) {
    case 'stringValue':
      return value.stringValue ?? '';
    case 'boolValue':
      return value.boolValue ?? false;
    case 'doubleValue':
      return value.doubleValue ?? 0;
    case 'intValue': {
      const int = value.intValue ?? 0;
      // int64 comes as a Long ({low, high}) when protobufjs has the long package, else as a number.
      return typeof int === 'number' ? int : int.high * 2 ** 32 + (int.low >>> 0);
    }
    default:
      return '';
  }
}

function attributesOf(list: KeyValue[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const kv of list ?? []) out[kv.key] = valueOf(kv.value);
  return out;
}

/**
 * An OTLP/HTTP trace receiver: a real HTTP server on a free loopback port
 * that takes POST /v1/traces (application/x-protobuf), decodes each
 * ExportTraceServiceRequest and keeps its spans.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Every POST that reached it, decodable or not. */
  requests = 0;
  private server: http.Server | undefined;

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests += 1;
        if (
          req.method !== 'POST' ||
          req.url !== '/v1/traces' ||
          req.headers['content-type'] !== 'application/x-protobuf'
        ) {
          res.writeHead(400).end();
          return;
        }
        const request = ExportTraceServiceRequest.decode(Buffer.concat(chunks));
        for (const resourceSpans of request.resourceSpans) {
          const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name'] ?? '');
          for (const scope of resourceSpans.scopeSpans) {
            for (const s of scope.spans) {
              this.spans.push({
                service,
                traceId: hex(s.traceId),
                spanId: hex(s.spanId),
                parentSpanId: hex(s.parentSpanId),
                name: s.name,
                kind: s.kind,
                attributes: attributesOf(s.attributes),
                status: s.status?.code ?? 0,
              });
            }
          }
        }
        // An empty ExportTraceServiceResponse: full success.
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/v1/traces`;
  }

  /** The spans of one trace. */
  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  /** Waits (bounded) until a span of `traceId` matches. */
  waitForSpan(traceId: string, match: (s: ReceivedSpan) => boolean, ms = 10_000): Promise<ReceivedSpan> {
    return waitFor(() => this.trace(traceId).find(match), ms, 'a span at the receiver');
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
