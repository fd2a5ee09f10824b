import type { Socket } from 'node:net';
import thrift from 'thrift';
import { currentRequestId, type ThriftConnectionState } from '../ctx';
import { outgoingTraceHeaders, tracing } from '../trace';
import { runWithConnection } from './connection-state';
import { BINARY_MARK, BINARY_VERSION, COMPACT_MARK, type Framing } from './framing';
import {
  callerHeaders,
  type HeaderTransport,
  SUBPROTOCOL_BINARY,
  SUBPROTOCOL_COMPACT,
  THeaderProtocol,
  REQUEST_ID_HEADER,
} from './header';
import { replyProtocol } from './reply';
import { type ByteBudget, type ThriftLimits } from './limits';
import { MessageReader } from './message-reader';
import { MessageScanner, ShapeError } from './message-scanner';
import { Outbox } from './outbox';
import { TrackingBinaryProtocol, TrackingCompactProtocol } from './tracking-protocol';

/** What the generated `Processor` classes have in common. */
export interface ThriftProcessor {
  process(input: thrift.TProtocol, output: thrift.TProtocol): void;
}

export type RejectReason =
  | 'garbage'
  | 'oversize'
  | 'malformed'
  | 'protocol'
  | 'not_allowed'
  | 'too_many_connections'
  | 'too_many_from_address'
  | 'first_byte_timeout'
  | 'evicted'
  | 'shape'
  | 'over_total'
  | 'read_timeout'
  | 'idle_timeout'
  | 'tls';

type ProtocolClass = new (trans: thrift.TTransport) => thrift.TProtocol;

export interface ConnectionHooks {
  processor: ThriftProcessor;
  limits: ThriftLimits;
  budget: ByteBudget;
  /** The CN of the client's verified TLS certificate, if any. */
  certName?: string | undefined;
  onReject: (reason: RejectReason, detail: string) => void;
  /** The connection's first byte has arrived: it is no longer a silent one. */
  onFirstByte?: () => void;
}

const FramedTransport = thrift.TFramedTransport as unknown as new (buffer: Buffer) => thrift.TTransport;

/** A whole message as the input of a buffered transport, read from its start. */
function bufferedInput(message: Buffer): thrift.TTransport {
  const transport = new thrift.TBufferedTransport() as unknown as {
    inBuf: Buffer;
    readCursor: number;
    writeCursor: number;
  };
  transport.inBuf = message;
  transport.readCursor = 0;
  transport.writeCursor = message.length;
  return transport as unknown as thrift.TTransport;
}

/** Message types in the version word (binary) or the second byte (compact). */
const CALL = 1;
const ONEWAY = 4;

/**
 * One client connection: detects its framing, cuts the byte stream into
 * messages and hands each complete message to the processor exactly once.
 *
 * A framed message is processed once from its own frame; an unframed one is
 * followed chunk by chunk by a MessageScanner and decoded once when whole,
 * so receiving a message costs time linear in its size either way. What a
 * connection holds for a message still arriving is bounded per connection
 * (the largest message), across connections (a ByteBudget, charged by bytes
 * received) and in time (a first-byte deadline, then a read deadline). A
 * message's shape (nesting, fields per struct, values) is checked before it
 * is decoded, so decoding one message takes bounded time. Any fault of the
 * client (garbage, an oversize frame, a shape past the limits, a message type
 * other than CALL or ONEWAY, a message the protocol cannot read) closes this
 * connection only.
 */
export class ThriftConnection {
  private framing: Framing | undefined;
  private readonly reader: MessageReader;
  /** Checks the shape of framed messages before they are decoded, one per protocol. */
  private shapeCheckers: { binary?: MessageScanner; compact?: MessageScanner } = {};
  private firstByteTimer: NodeJS.Timeout | undefined;
  /** Whether any byte has arrived. */
  private spoke = false;
  /** The protocol replies are written to; each message starts with nothing pending in it. */
  private output: thrift.TProtocol | undefined;
  /** Where replies to ONEWAY messages go: nowhere. */
  private discard: thrift.TProtocol | undefined;
  private Protocol: ProtocolClass | undefined;
  private closed = false;
  private readonly state: ThriftConnectionState;
  private readonly outbox: Outbox;

  constructor(
    readonly socket: Socket,
    private readonly hooks: ConnectionHooks,
  ) {
    this.state = { peer: socket.remoteAddress, caller: undefined, certName: hooks.certName };
    this.outbox = new Outbox(socket);
    this.reader = new MessageReader({
      limits: hooks.limits,
      budget: hooks.budget,
      isClosed: () => this.closed,
      reject: (reason, detail) => this.reject(reason, detail),
      detected: (framing) => this.setup(framing),
      framed: (frame) => this.serve(frame, new FramedTransport(frame)),
      header: (whole) => this.serveHeader(whole),
      // Its shape was checked as it arrived.
      unframed: (message) => this.serve(message, bufferedInput(message), undefined, undefined, true),
    });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // A reset or a client gone mid-frame ends up here: drop this connection quietly.
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.release());
    const firstByte = hooks.limits.firstByteTimeoutMs;
    if (firstByte > 0) {
      this.firstByteTimer = setTimeout(() => {
        this.firstByteTimer = undefined;
        this.reject('first_byte_timeout', `no byte within ${firstByte} ms of connecting`);
      }, firstByte);
    }
    const idle = hooks.limits.idleTimeoutMs;
    if (idle > 0) {
      socket.setTimeout(idle);
      socket.on('timeout', () => this.reject('idle_timeout', `no byte either way for ${idle} ms`));
    }
  }

  private reject(reason: RejectReason, detail: string): void {
    if (this.closed) return;
    this.hooks.onReject(reason, detail);
    // The calls that came before the fault were answered: their replies leave before the connection closes.
    this.outbox.send();
    this.destroy();
  }

  /** Forgets the message being received and gives its bytes back to the budget. */
  private release(): void {
    this.closed = true;
    if (this.firstByteTimer) clearTimeout(this.firstByteTimer);
    this.firstByteTimer = undefined;
    this.reader.clear();
    this.outbox.drop();
  }

  destroy(): void {
    this.release();
    this.socket.destroy();
  }

  /** Writes the replies still waiting, then closes the connection once they have left. */
  end(): void {
    this.outbox.send();
    this.socket.end();
  }

  /** The client's address, kept from the start (a socket forgets it once closed). */
  get peer(): string | undefined {
    return this.state.peer;
  }

  /** Whether this connection has sent nothing yet (so it may be closed to make room for another). */
  get silent(): boolean {
    return !this.spoke && !this.closed;
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    if (!this.spoke) {
      this.spoke = true;
      if (this.firstByteTimer) clearTimeout(this.firstByteTimer);
      this.firstByteTimer = undefined;
      this.hooks.onFirstByte?.();
    }
    this.reader.push(chunk);
  }

  private setup(framing: Framing): void {
    this.framing = framing;
    // Requests are read by protocols that note the fields the generated code skipped (checkArguments names them).
    this.Protocol = framing.protocol === 'binary' ? TrackingBinaryProtocol : TrackingCompactProtocol;
    this.output = replyProtocol(framing, (buf) => {
      if (!this.closed) this.outbox.push(buf);
    });
  }

  /**
   * Serves one whole message (no length prefix): a CALL is answered, a
   * ONEWAY is run and not answered, anything else closes the connection.
   */
  private serve(
    message: Buffer,
    transport: thrift.TTransport,
    compact = this.framing?.protocol === 'compact',
    replyTo?: () => thrift.TProtocol,
    shapeChecked = false,
  ): void {
    const mark = message[0];
    const type = compact ? ((message[1] ?? 0) >> 5) & 0x07 : message[3];
    if (mark !== (compact ? COMPACT_MARK : BINARY_MARK) || (!compact && message[1] !== BINARY_VERSION)) {
      return this.reject('garbage', `a message starting ${message.subarray(0, 4).toString('hex')}`);
    }
    if (type !== CALL && type !== ONEWAY) {
      return this.reject('protocol', `message type ${type}; only CALL (1) and ONEWAY (4) are served`);
    }
    if (!shapeChecked && !this.shapeFits(message, compact)) return;
    let output = this.output as thrift.TProtocol;
    if (type === ONEWAY) {
      this.discard ??= replyProtocol({ framed: true, protocol: compact ? 'compact' : 'binary' }, () => undefined);
      output = this.discard;
    } else if (replyTo) {
      output = replyTo();
    }
    const Protocol = compact ? TrackingCompactProtocol : TrackingBinaryProtocol;
    try {
      runWithConnection(this.state, () => this.hooks.processor.process(new Protocol(transport), output));
    } catch (err) {
      this.reject('malformed', (err as Error).message);
    }
  }

  /**
   * Walks a framed message's structure without decoding it, so that one past
   * the shape limits is refused before the library decodes it in one
   * synchronous run. (An unframed message was walked as it arrived.) A walk
   * that ends before the message's bytes do is left to the decoder, which
   * refuses it as malformed.
   */
  private shapeFits(message: Buffer, compact: boolean): boolean {
    const key = compact ? 'compact' : 'binary';
    const checker = (this.shapeCheckers[key] ??= new MessageScanner(compact, this.hooks.limits.shape));
    checker.reset();
    try {
      checker.feed(message, 0);
      return true;
    } catch (err) {
      this.reject(err instanceof ShapeError ? 'shape' : 'malformed', (err as Error).message);
      return false;
    } finally {
      checker.reset();
    }
  }

  /**
   * Serves one THeader frame (length prefix included): its headers name the
   * caller's request id and service, its protocol id the protocol of the
   * message inside; the reply goes back as a THeader frame in that protocol,
   * with the call's request id in its headers. The library's THeaderTransport
   * reads the headers and writes the reply's.
   */
  private serveHeader(whole: Buffer): void {
    const transport = new thrift.TBufferedTransport() as unknown as HeaderTransport;
    transport.inBuf = whole;
    transport.readCursor = 0;
    transport.writeCursor = whole.length;
    let headers: Record<string, string>;
    try {
      headers = transport.readHeaders();
    } catch (err) {
      return this.reject('malformed', `THeader: ${(err as Error).message}`);
    }
    const protocolId = transport.getProtocolId();
    if (protocolId !== SUBPROTOCOL_BINARY && protocolId !== SUBPROTOCOL_COMPACT) {
      return this.reject('protocol', `THeader protocol id ${protocolId}; binary (0) and compact (2) are served`);
    }
    const call = callerHeaders(headers);
    if (call.service) this.state.caller = call.service;
    this.state.requestId = call.requestId;
    this.state.traceparent = call.traceparent;
    this.state.tracestate = call.tracestate;
    try {
      this.serve(
        whole.subarray(transport.readCursor),
        transport as unknown as thrift.TTransport,
        protocolId === SUBPROTOCOL_COMPACT,
        () => this.headerOutput(protocolId, transport.getSeqId(), call.requestId),
      );
    } finally {
      this.state.requestId = undefined;
      this.state.traceparent = undefined;
      this.state.tracestate = undefined;
    }
  }

  /** The output of one THeader reply: the caller's protocol, its frame's seqid, the request id in the headers. */
  private headerOutput(protocolId: number, frameSeqid: number, incoming: string | undefined): thrift.TProtocol {
    const TransportCtor = thrift.TBufferedTransport as unknown as new (
      buffer: Buffer | undefined,
      onFlush: (buf: Buffer) => void,
    ) => HeaderTransport;
    const transport = new TransportCtor(undefined, (buf) => {
      if (!this.closed) this.outbox.push(buf);
    });
    transport.setProtocolId(protocolId);
    transport.setSeqId(frameSeqid);
    const protocol = new THeaderProtocol(transport as unknown as thrift.TTransport);
    const flush = protocol.flush.bind(protocol);
    protocol.flush = () => {
      // Flushed in the call's context: its request id is the caller's, or the one generated for it.
      const id = currentRequestId() ?? incoming;
      if (id) transport.setWriteHeader(REQUEST_ID_HEADER, id);
      // With tracing on, the reply names the call's span, so a THeader caller can link to it.
      if (tracing.on) {
        const { traceparent, tracestate } = outgoingTraceHeaders();
        if (traceparent) transport.setWriteHeader('traceparent', traceparent);
        if (tracestate) transport.setWriteHeader('tracestate', tracestate);
      }
      flush();
    };
    return protocol;
  }
}
