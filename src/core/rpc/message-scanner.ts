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

/** Thrown for bytes that cannot be a Thrift message. */
export class ScanError extends Error {}

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

// Binary protocol type ids (also the ids in TType).
const B_BOOL = 2;
const B_BYTE = 3;
const B_DOUBLE = 4;
const B_I16 = 6;
const B_I32 = 8;
const B_I64 = 10;
const B_STRING = 11;
const B_STRUCT = 12;
const B_MAP = 13;
const B_SET = 14;
const B_LIST = 15;
const B_UUID = 16;

// Compact protocol wire types.
const C_TRUE = 1;
const C_FALSE = 2;
const C_BYTE = 3;
const C_I16 = 4;
const C_I32 = 5;
const C_I64 = 6;
const C_DOUBLE = 7;
const C_BINARY = 8;
const C_LIST = 9;
const C_SET = 10;
const C_MAP = 11;
const C_STRUCT = 12;
const C_UUID = 13;

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

export class MessageScanner {
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

  private push(left: number, type: number, valueType: number): void {
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

  /**
   * One value of `type` at `pos`; -1 when cut (nothing is consumed then: the
   * caller carries the whole token). A collection's element is `inCollection`
   * (compact booleans take a byte there).
   */
  private value(buf: Buffer, pos: number, type: number, inCollection = false): number {
    const avail = buf.length - pos;
    if (this.compact) {
      switch (type) {
        case C_TRUE:
        case C_FALSE:
        case C_BYTE:
          if (inCollection || type === C_BYTE) return avail >= 1 ? pos + 1 : -1;
          return pos;
        case C_I16:
        case C_I32:
        case C_I64: {
          const v = readVarint(buf, pos);
          return v === undefined ? -1 : v.next;
        }
        case C_DOUBLE:
          return avail >= 8 ? pos + 8 : -1;
        case C_UUID:
          return avail >= 16 ? pos + 16 : -1;
        case C_BINARY: {
          const v = readVarint(buf, pos);
          if (v === undefined) return -1;
          if (v.value < 0) throw new ScanError('negative binary length');
          this.skipping = v.value;
          return v.next;
        }
        case C_STRUCT:
          this.push(-1, 0, -1);
          return pos;
        case C_LIST:
        case C_SET: {
          if (avail < 1) return -1;
          const head = buf[pos] as number;
          let size = head >> 4;
          let p = pos + 1;
          if (size === 15) {
            const v = readVarint(buf, p);
            if (v === undefined) return -1;
            size = v.value;
            p = v.next;
          }
          if (size < 0) throw new ScanError('negative collection size');
          this.push(size, head & 0x0f, -1);
          return p;
        }
        case C_MAP: {
          const v = readVarint(buf, pos);
          if (v === undefined) return -1;
          if (v.value < 0) throw new ScanError('negative map size');
          if (v.value === 0) return v.next;
          if (v.next >= buf.length) return -1;
          const kv = buf[v.next] as number;
          this.push(v.value * 2, kv >> 4, kv & 0x0f);
          return v.next + 1;
        }
        default:
          throw new ScanError(`unknown compact type ${type}`);
      }
    }
    switch (type) {
      case B_BOOL:
      case B_BYTE:
        return avail >= 1 ? pos + 1 : -1;
      case B_I16:
        return avail >= 2 ? pos + 2 : -1;
      case B_I32:
        return avail >= 4 ? pos + 4 : -1;
      case B_DOUBLE:
      case B_I64:
        return avail >= 8 ? pos + 8 : -1;
      case B_UUID:
        return avail >= 16 ? pos + 16 : -1;
      case B_STRING: {
        if (avail < 4) return -1;
        const len = buf.readInt32BE(pos);
        if (len < 0) throw new ScanError('negative string length');
        this.skipping = len;
        return pos + 4;
      }
      case B_STRUCT:
        this.push(-1, 0, -1);
        return pos;
      case B_LIST:
      case B_SET: {
        if (avail < 5) return -1;
        const size = buf.readInt32BE(pos + 1);
        if (size < 0) throw new ScanError('negative collection size');
        this.push(size, buf[pos] as number, -1);
        return pos + 5;
      }
      case B_MAP: {
        if (avail < 6) return -1;
        const size = buf.readInt32BE(pos + 2);
        if (size < 0) throw new ScanError('negative map size');
        this.push(size * 2, buf[pos] as number, buf[pos + 1] as number);
        return pos + 6;
      }
      default:
        throw new ScanError(`unknown binary type ${type}`);
    }
  }
}

/** A varint (compact protocol, zigzag not undone: only its extent matters here); undefined when cut. */
function readVarint(buf: Buffer, pos: number): { value: number; next: number } | undefined {
  let value = 0;
  let shift = 0;
  for (let p = pos; p < buf.length; p += 1) {
    const byte = buf[p] as number;
    if (shift < 28) value |= (byte & 0x7f) << shift;
    else if (shift < 64) value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next: p + 1 };
    shift += 7;
    if (shift >= 70) throw new ScanError('varint longer than 10 bytes');
  }
  return undefined;
}
