import { detectFraming, type Framing } from './framing';
import type { RejectReason } from './connection';
import type { ByteBudget, ThriftLimits } from './limits';
import { MessageScanner, ShapeError } from './message-scanner';

/** Where a MessageReader sends what it reads, and the bounds it reads within. */
export interface ReaderSink {
  limits: ThriftLimits;
  budget: ByteBudget;
  /** Whether the connection is closed: reading stops at once. */
  isClosed(): boolean;
  /** The client broke a bound or the protocol: the connection is closed. */
  reject(reason: RejectReason, detail: string): void;
  /** The connection's framing, known from its first bytes. */
  detected(framing: Framing): void;
  /** A whole framed message, its length prefix left out. */
  framed(frame: Buffer): void;
  /** A whole THeader frame, its length prefix included. */
  header(whole: Buffer): void;
  /** A whole unframed message, its shape already checked as it arrived. */
  unframed(message: Buffer): void;
}

/**
 * Cuts one connection's bytes into whole messages: detects the framing from
 * the first bytes, then takes framed messages by their length prefix and
 * follows unframed ones with a MessageScanner, each handed on exactly once.
 * What it holds of a message still arriving is bounded by the largest
 * message (thrift.max_frame_bytes), charged to the budget shared by all
 * connections as it arrives, and must be whole within the read deadline.
 */
export class MessageReader {
  private framing: Framing | undefined;
  /** Bytes of a message still arriving (or, before detection, the first bytes). */
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes the framed message being received needs in all, length prefix included; 0 between messages. */
  private needed = 0;
  /** Bytes taken from the budget for the message being received. */
  private reserved = 0;
  private scanner: MessageScanner | undefined;
  private readTimer: NodeJS.Timeout | undefined;

  constructor(private readonly sink: ReaderSink) {}

  /** Takes the next chunk of the connection's bytes. */
  push(chunk: Buffer): void {
    if (!this.framing) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      const head = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.buffered);
      const found = detectFraming(head);
      if (found === 'pending') {
        this.startReadDeadline();
        return;
      }
      this.clear();
      if (found === 'garbage') return this.sink.reject('garbage', `first bytes ${head.subarray(0, 8).toString('hex')}`);
      this.framing = found;
      if (!found.framed) this.scanner = new MessageScanner(found.protocol === 'compact', this.sink.limits.shape);
      this.sink.detected(found);
      chunk = head;
    }
    if (this.framing.framed) this.onFramed(chunk);
    else this.onUnframed(chunk);
  }

  /** Forgets the message being received and gives its bytes back to the budget. */
  clear(): void {
    this.chunks = [];
    this.buffered = 0;
    this.needed = 0;
    if (this.reserved > 0) this.sink.budget.give(this.reserved);
    this.reserved = 0;
    if (this.readTimer) clearTimeout(this.readTimer);
    this.readTimer = undefined;
  }

  /** A message has begun and is not whole: it must be whole within the read deadline. */
  private startReadDeadline(): void {
    const ms = this.sink.limits.readTimeoutMs;
    if (this.readTimer || ms <= 0) return;
    this.readTimer = setTimeout(() => {
      this.readTimer = undefined;
      this.sink.reject('read_timeout', `a message begun ${ms} ms ago is still not whole (${this.buffered} bytes in)`);
    }, ms);
  }

  /** Takes `bytes` more from the budget for the message being received; closes the connection if they do not fit. */
  private reserve(bytes: number): boolean {
    if (this.sink.budget.take(bytes)) {
      this.reserved += bytes;
      return true;
    }
    const { budget } = this.sink;
    this.sink.reject(
      'over_total',
      `${bytes} bytes more would pass thrift.max_buffered_bytes (${budget.inUse} of ${budget.max} in use)`,
    );
    return false;
  }

  private onFramed(chunk: Buffer): void {
    let buf = chunk;
    if (this.needed > 0 || this.buffered > 0) {
      // Charged as it arrives: a frame's announced size is only a promise.
      if (!this.reserve(chunk.length)) return;
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      // A large frame arrives in many chunks: join them once it is whole, not again on every chunk.
      if (this.buffered < Math.max(this.needed, 4)) return;
      buf = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks, this.buffered);
      this.clear();
    }
    const max = this.sink.limits.maxFrameBytes;
    let at = 0;
    while (!this.sink.isClosed() && at < buf.length) {
      const left = buf.length - at;
      if (left < 4) {
        if (!this.reserve(left)) return;
        return this.hold(buf.subarray(at), 4);
      }
      const size = buf.readInt32BE(at);
      if (size <= 0 || size > max) {
        return this.sink.reject(size <= 0 ? 'garbage' : 'oversize', `frame of ${size} bytes, limit ${max}`);
      }
      if (left < 4 + size) {
        if (!this.reserve(left)) return;
        return this.hold(buf.subarray(at), 4 + size);
      }
      if (this.framing?.header) {
        const whole = buf.subarray(at, at + 4 + size);
        at += 4 + size;
        this.sink.header(whole);
        continue;
      }
      const frame = buf.subarray(at + 4, at + 4 + size);
      at += 4 + size;
      this.sink.framed(frame);
    }
  }

  /** Keeps the start of a framed message until `needed` bytes are in, within the read deadline. */
  private hold(part: Buffer, needed: number): void {
    this.chunks = [part];
    this.buffered = part.length;
    this.needed = needed;
    this.startReadDeadline();
  }

  private onUnframed(chunk: Buffer): void {
    const scanner = this.scanner as MessageScanner;
    const max = this.sink.limits.maxFrameBytes;
    let at = 0;
    while (!this.sink.isClosed() && at < chunk.length) {
      let end: number;
      try {
        end = scanner.feed(chunk, at);
      } catch (err) {
        return this.sink.reject(err instanceof ShapeError ? 'shape' : 'malformed', (err as Error).message);
      }
      if (end < 0) {
        if (scanner.claimed > max) return this.sink.reject('oversize', `unframed message over ${max} bytes`);
        const rest = at === 0 ? chunk : chunk.subarray(at);
        if (!this.reserve(rest.length)) return;
        this.chunks.push(rest);
        this.buffered += rest.length;
        if (this.buffered > max) return this.sink.reject('oversize', `unframed message over ${max} bytes`);
        this.startReadDeadline();
        return;
      }
      const tail = chunk.subarray(at, end);
      const message = this.buffered === 0 ? tail : Buffer.concat([...this.chunks, tail], this.buffered + tail.length);
      this.clear();
      scanner.reset();
      at = end;
      if (message.length > max) return this.sink.reject('oversize', `unframed message over ${max} bytes`);
      this.sink.unframed(message);
    }
  }
}
