/**
 * Finds where an unframed Thrift message ends, chunk by chunk, without
 * decoding it: a resumable walk over the message's structure (binary or
 * compact protocol) that keeps its place between chunks. Each byte is looked
 * at once, so receiving an unframed message costs time linear in its size;
 * the message is decoded once, when it is whole.
 *
 * A string or binary value is skipped by count (its bytes are never read),
 * and a token cut by a chunk boundary waits in a carry of a few bytes.
 */

import {
  B_I32,
  binaryValue,
  C_FALSE,
  C_TRUE,
  compactValue,
  readVarint,
  ScanError,
  type ValueSink,
} from './protocol-values';

export { ScanError } from './protocol-values';

/** Thrown for a message past the shape limits. */
export class ShapeError extends ScanError {}

/**
 * How large a message's shape may be. The library decodes a message in one
 * synchronous run whose time grows with its count of values, not its bytes
 * (one byte is a whole field in the compact protocol): these bound that time,
 * and so how long one message may hold the event loop.
 */
export interface ShapeLimits {
  /** Nesting of structs and collections (the library's decoder recurses). */
  maxDepth: number;
  /** Fields in one struct, unknown ones included. */
  maxStructFields: number;
  /** Values in one message: every field and every collection element. */
  maxValues: number;
}

/** The shape limits when none are configured: far above what tandem's IDL needs (requests of tens of values). */
export const DEFAULT_SHAPE_LIMITS: ShapeLimits = { maxDepth: 64, maxStructFields: 1024, maxValues: 10_000 };

/** A struct's fields, or a collection's elements still to come. */
interface Frame {
  /** -1 for a struct; otherwise the values still to skip. */
  left: number;
  /** A struct's fields seen so far. */
  fields: number;
  /** Element type (list/set), or key type (map). */
  type: number;
  /** Value type (map only; -1 otherwise): a map alternates key and value. */
  valueType: number;
}

type Phase = 'header' | 'body' | 'done';

export class MessageScanner implements ValueSink {
  private phase: Phase = 'header';
  private stack: Frame[] = [];
  /** Bytes of a string or binary value still to skip. */
  private skipping = 0;
  /** The start of a token that a chunk boundary cut. */
  private carry: Buffer | undefined;
  /** Bytes of the current message consumed so far. */
  private scanned = 0;
  /** Values (fields and collection elements) of the current message so far. */
  private values = 0;

  constructor(
    private readonly compact: boolean,
    private readonly limits: ShapeLimits = DEFAULT_SHAPE_LIMITS,
  ) {}

  /** The least size the message can have, from what is known so far (a string's length counts at once). */
  get claimed(): number {
    return this.scanned + this.skipping;
  }

  reset(): void {
    this.phase = 'header';
    this.stack = [];
    this.skipping = 0;
    this.carry = undefined;
    this.scanned = 0;
    this.values = 0;
  }

  /**
   * Scans `chunk` from `start`. Returns the offset in `chunk` just past the
   * end of the message, or -1 when the message goes on past this chunk.
   * Throws ScanError for bytes that are not a Thrift message.
   */
  feed(chunk: Buffer, start: number): number {
    const carried = this.carry;
    if (!carried) return this.walk(chunk, start);
    // A token cut by the last chunk is joined with a short head of this one (a token is under 32 bytes).
    this.carry = undefined;
    const head = chunk.subarray(start, start + 64);
    const end = this.walk(Buffer.concat([carried, head]), 0);
    if (end >= 0) return end - carried.length + start;
    const afterHead = start + head.length;
    if (afterHead >= chunk.length) return -1;
    const cut = this.carry as Buffer | undefined;
    if (cut) {
      // A token began in the head and runs past it: walk again from its start in the chunk itself.
      this.carry = undefined;
      return this.walk(chunk, afterHead - cut.length);
    }
    // A string's skip ran past the head: it goes on in the chunk.
    return this.walk(chunk, afterHead);
  }

  /** Walks `buf` from `pos`; see feed(). Leaves a cut token in `carry`. */
  private walk(buf: Buffer, pos: number): number {
    const end = buf.length;
    for (;;) {
      if (this.skipping > 0) {
        const n = Math.min(this.skipping, end - pos);
        this.skipping -= n;
        this.scanned += n;
        pos += n;
        if (this.skipping > 0) return -1;
        if (this.stack.length === 0 && this.phase === 'body') return this.finish(pos);
        continue;
      }
      const from = pos;
      const next = this.phase === 'header' ? this.header(buf, pos) : this.step(buf, pos);
      if (next < 0) {
        if (from < end) this.carry = Buffer.from(buf.subarray(from, end));
        return -1;
      }
      this.scanned += next - from;
      pos = next;
      if (this.phase === 'body' && this.stack.length === 0 && this.skipping === 0) return this.finish(pos);
    }
  }

  private finish(pos: number): number {
    this.phase = 'done';
    return pos;
  }

  /** The message header, up to its name (which is skipped by count); returns -1 when cut. */
  private header(buf: Buffer, pos: number): number {
    if (this.compact) {
      // 0x82, version and type, varint seqid, varint name length.
      if (buf.length - pos < 2) return -1;
      let p = pos + 2;
      const seq = readVarint(buf, p);
      if (seq === undefined) return -1;
      p = seq.next;
      const len = readVarint(buf, p);
      if (len === undefined) return -1;
      if (len.value < 0) throw new ScanError('negative method name length');
      this.skipping = len.value;
      this.phase = 'body';
      this.push(-1, 0, -1);
      return len.next;
    }
    // Version word, name length, name, seqid: the seqid comes after the name, so it is one more token.
    if (buf.length - pos < 8) return -1;
    const len = buf.readInt32BE(pos + 4);
    if (len < 0) throw new ScanError('negative method name length');
    this.skipping = len;
    this.phase = 'body';
    // The seqid (4 bytes) and then the arguments struct.
    this.push(-1, 0, -1);
    this.push(1, B_I32, -1);
    return pos + 8;
  }

  /** ValueSink: a struct or collection begins (the scanner's own header step too). */
  push(left: number, type: number, valueType: number): void {
    const { maxDepth, maxValues } = this.limits;
    if (this.stack.length >= maxDepth) throw new ShapeError(`nesting deeper than ${maxDepth}`);
    // A collection's size is known at its head: its elements are counted there, and one past the
    // limit is refused before they arrive.
    if (left > 0) {
      if (this.values + left > maxValues) {
        throw new ShapeError(`a collection of ${left} values passes the limit of ${maxValues} values a message`);
      }
      this.values += left;
    }
    this.stack.push({ left, type, valueType, fields: 0 });
  }

  /** Counts one more value of the message (and one more field of `struct`, if given). */
  private count(struct?: Frame): void {
    this.values += 1;
    if (this.values > this.limits.maxValues) {
      throw new ShapeError(`more than ${this.limits.maxValues} values in one message`);
    }
    if (struct && (struct.fields += 1) > this.limits.maxStructFields) {
      throw new ShapeError(`a struct with more than ${this.limits.maxStructFields} fields`);
    }
  }

  /** One token of the body; returns the position after it, or -1 when cut. */
  private step(buf: Buffer, pos: number): number {
    const top = this.stack[this.stack.length - 1] as Frame;
    if (top.left === -1) {
      // A struct: a field header or STOP.
      if (pos >= buf.length) return -1;
      const byte = buf[pos] as number;
      if (byte === 0) {
        this.stack.pop();
        return pos + 1;
      }
      if (this.compact) {
        const type = byte & 0x0f;
        let p = pos + 1;
        if (byte >> 4 === 0) {
          const id = readVarint(buf, p);
          if (id === undefined) return -1;
          p = id.next;
        }
        if (type === C_TRUE || type === C_FALSE) {
          this.count(top);
          return p;
        }
        const next = this.value(buf, p, type);
        if (next >= 0) this.count(top);
        return next;
      }
      if (buf.length - pos < 3) return -1;
      const next = this.value(buf, pos + 3, byte);
      if (next >= 0) this.count(top);
      return next;
    }
    if (top.left === 0) {
      this.stack.pop();
      return pos;
    }
    let type = top.type;
    if (top.valueType >= 0 && top.left % 2 === 1) type = top.valueType;
    const next = this.value(buf, pos, type, true);
    if (next >= 0) top.left -= 1;
    return next;
  }

  /** ValueSink: a string's or binary's bytes, skipped by count. */
  skip(n: number): void {
    this.skipping = n;
  }

  /** One value of `type` at `pos`, by the connection's protocol; see protocol-values.ts. */
  private value(buf: Buffer, pos: number, type: number, inCollection = false): number {
    return this.compact ? compactValue(this, buf, pos, type, inCollection) : binaryValue(this, buf, pos, type);
  }
}
