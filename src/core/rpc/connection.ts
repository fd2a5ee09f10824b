import type { Socket } from 'node:net';
import thrift from 'thrift';
import { BinaryWriter } from './binary-writer';
import type { ThriftConnectionState } from '../ctx';
import { runWithConnection } from './connection-state';
import { Outbox } from './outbox';

/** What the generated `Processor` classes have in common. */
export interface ThriftProcessor {
  process(input: thrift.TProtocol, output: thrift.TProtocol): void;
}

export type RejectReason = 'garbage' | 'oversize' | 'malformed' | 'not_allowed';

type ProtocolClass = new (trans: thrift.TTransport) => thrift.TProtocol;

// The typings do not declare it, but the library exports it.
const { InputBufferUnderrunError } = thrift as unknown as { InputBufferUnderrunError: new () => Error };

const BINARY_MARK = 0x80;
const BINARY_VERSION = 0x01;
const COMPACT_MARK = 0x82;

/** The transport and protocol a connection speaks, chosen from its first bytes. */
export interface Framing {
  framed: boolean;
  protocol: 'binary' | 'compact';
}

/**
 * Decides framing and protocol from the first bytes of a connection:
 * unframed binary starts with 0x80 0x01 (strict version word), unframed
 * compact with 0x82, a framed message with a 4-byte length followed by one of
 * those marks. Returns `pending` until enough bytes are in, `garbage` for
 * anything else.
 */
export function detectFraming(head: Buffer): Framing | 'pending' | 'garbage' {
  if (head.length === 0) return 'pending';
  const first = head[0] as number;
  if (first === BINARY_MARK) {
    if (head.length < 2) return 'pending';
    return head[1] === BINARY_VERSION ? { framed: false, protocol: 'binary' } : 'garbage';
  }
  if (first === COMPACT_MARK) return { framed: false, protocol: 'compact' };
  if (head.length < 5) return 'pending';
  const mark = head[4];
  if (mark === BINARY_MARK) return { framed: true, protocol: 'binary' };
  if (mark === COMPACT_MARK) return { framed: true, protocol: 'compact' };
  return 'garbage';
}

export interface ConnectionHooks {
  processor: ThriftProcessor;
  maxFrameBytes: number;
  onReject: (reason: RejectReason, detail: string) => void;
}

/**
 * One client connection: detects its framing, cuts the byte stream into
 * messages and hands each complete message to the processor exactly once.
 *
 * Unlike the bare library's server, a framed message is processed once from
 * its own frame, so no InputBufferUnderrunError is thrown (and no stack
 * captured) after every message. Any fault of the client (garbage, an
 * oversize frame, a message the protocol cannot read) closes this
 * connection only.
 */
export class ThriftConnection {
  private framing: Framing | undefined;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes the framed message being received needs in all; until then, chunks are only queued. */
  private needed = 0;
  /** The protocol replies are written to; each message starts with nothing pending in it. */
  private output: thrift.TProtocol | undefined;
  private Protocol: ProtocolClass | undefined;
  private closed = false;
  private readonly state: ThriftConnectionState;
  private readonly outbox: Outbox;

  constructor(
    readonly socket: Socket,
    private readonly hooks: ConnectionHooks,
  ) {
    this.state = { peer: socket.remoteAddress, caller: undefined };
    this.outbox = new Outbox(socket);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // A reset or a client gone mid-frame ends up here: drop this connection quietly.
    socket.on('error', () => this.destroy());
    socket.on('close', () => {
      this.closed = true;
      this.chunks = [];
      this.outbox.drop();
    });
  }

  private reject(reason: RejectReason, detail: string): void {
    if (this.closed) return;
    this.hooks.onReject(reason, detail);
    // The calls that came before the fault were answered: their replies leave before the connection closes.
    this.outbox.send();
    this.destroy();
  }

  destroy(): void {
    this.closed = true;
    this.chunks = [];
    this.outbox.drop();
    this.socket.destroy();
  }

  /** Writes the replies still waiting, then closes the connection once they have left. */
  end(): void {
    this.outbox.send();
    this.socket.end();
  }

  private take(): Buffer {
    const all = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    return all;
  }

  private keep(rest: Buffer): void {
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    // A large frame arrives in many chunks: join them once it is whole, not again on every chunk.
    if (this.buffered < this.needed) return;
    if (!this.framing) {
      const head = this.take();
      const found = detectFraming(head);
      this.keep(head);
      if (found === 'pending') return;
      if (found === 'garbage') return this.reject('garbage', `first bytes ${head.subarray(0, 8).toString('hex')}`);
      this.setup(found);
    }
    if (this.framing?.framed) this.drainFramed();
    else this.drainUnframed();
  }

  private setup(framing: Framing): void {
    this.framing = framing;
    this.Protocol = framing.protocol === 'binary' ? thrift.TBinaryProtocol : thrift.TCompactProtocol;
    const write = (buf: Buffer): void => {
      if (!this.closed) this.outbox.push(buf);
    };
    if (framing.protocol === 'binary') {
      // Replies in the binary protocol, the common case, are encoded without the library's per-value buffers.
      this.output = new BinaryWriter(framing.framed, write) as unknown as thrift.TProtocol;
      return;
    }
    const Transport = framing.framed ? thrift.TFramedTransport : thrift.TBufferedTransport;
    // The typings miss the constructor's (buffer, onFlush) form.
    const TransportCtor = Transport as unknown as new (
      buffer: Buffer | undefined,
      onFlush: (buf: Buffer) => void,
    ) => thrift.TTransport;
    const transport = new TransportCtor(undefined, write) as thrift.TTransport & {
      outBuffers: Buffer[];
      outCount: number;
    };
    const protocol = new this.Protocol(transport);
    const begin = protocol.writeMessageBegin.bind(protocol);
    // The library's transports keep what a reply that failed half-way wrote, and would send it in front
    // of the next message: each message starts afresh, as BinaryWriter's do.
    protocol.writeMessageBegin = (name, type, seqid) => {
      transport.outBuffers = [];
      transport.outCount = 0;
      begin(name, type, seqid);
    };
    this.output = protocol;
  }

  private process(transport: thrift.TTransport): void {
    const Protocol = this.Protocol as ProtocolClass;
    runWithConnection(this.state, () =>
      this.hooks.processor.process(new Protocol(transport), this.output as thrift.TProtocol),
    );
  }

  private drainFramed(): void {
    const max = this.hooks.maxFrameBytes;
    while (!this.closed && this.buffered >= 4) {
      const all = this.take();
      const size = all.readInt32BE(0);
      if (size <= 0 || size > max) {
        return this.reject(size <= 0 ? 'garbage' : 'oversize', `frame of ${size} bytes, limit ${max}`);
      }
      if (all.length < 4 + size) {
        this.keep(all);
        this.needed = 4 + size;
        return;
      }
      this.needed = 0;
      const frame = all.subarray(4, 4 + size);
      this.keep(all.subarray(4 + size));
      const FramedCtor = thrift.TFramedTransport as unknown as new (buffer: Buffer) => thrift.TTransport;
      try {
        this.process(new FramedCtor(frame));
      } catch (err) {
        return this.reject('malformed', (err as Error).message);
      }
    }
  }

  private drainUnframed(): void {
    const max = this.hooks.maxFrameBytes;
    while (!this.closed && this.buffered > 0) {
      const all = this.take();
      if (all.length > max) return this.reject('oversize', `unframed message over ${max} bytes`);
      const transport = new thrift.TBufferedTransport() as unknown as {
        inBuf: Buffer;
        readCursor: number;
        writeCursor: number;
      };
      transport.inBuf = all;
      transport.readCursor = 0;
      transport.writeCursor = all.length;
      try {
        this.process(transport as unknown as thrift.TTransport);
      } catch (err) {
        if (err instanceof InputBufferUnderrunError) {
          // Not a whole message yet: wait for more bytes.
          this.keep(all);
          return;
        }
        return this.reject('malformed', (err as Error).message);
      }
      this.keep(all.subarray(transport.readCursor));
    }
  }
}
