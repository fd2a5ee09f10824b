/**
 * Where one value of the binary or compact protocol ends, read from its
 * head alone: the message scanner's per-type step. A string's bytes are
 * never read (the sink skips them by count), and a struct or collection is
 * handed to the sink to walk.
 */

/** Thrown for bytes that cannot be a Thrift message. */
export class ScanError extends Error {}

// Binary protocol type ids (also the ids in TType).
export const B_BOOL = 2;
export const B_BYTE = 3;
export const B_DOUBLE = 4;
export const B_I16 = 6;
export const B_I32 = 8;
export const B_I64 = 10;
export const B_STRING = 11;
export const B_STRUCT = 12;
export const B_MAP = 13;
export const B_SET = 14;
export const B_LIST = 15;
export const B_UUID = 16;

// Compact protocol wire types.
export const C_TRUE = 1;
export const C_FALSE = 2;
export const C_BYTE = 3;
export const C_I16 = 4;
export const C_I32 = 5;
export const C_I64 = 6;
export const C_DOUBLE = 7;
export const C_BINARY = 8;
export const C_LIST = 9;
export const C_SET = 10;
export const C_MAP = 11;
export const C_STRUCT = 12;
export const C_UUID = 13;

/** What a value's head tells the scanner. */
export interface ValueSink {
  /** A struct (left -1) or a collection of `left` values begins. */
  push(left: number, type: number, valueType: number): void;
  /** The next `n` bytes are a string's or binary's content. */
  skip(n: number): void;
}

/**
 * One compact-protocol value of `type` at `pos`: the position after its
 * head, or -1 when cut (nothing is consumed then: the caller carries the
 * whole token). A collection's element is `inCollection` (a boolean takes
 * a byte there; a struct field's boolean is in its field header).
 */
export function compactValue(sink: ValueSink, buf: Buffer, pos: number, type: number, inCollection: boolean): number {
  const avail = buf.length - pos;
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
      sink.skip(v.value);
      return v.next;
    }
    case C_STRUCT:
      sink.push(-1, 0, -1);
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
      sink.push(size, head & 0x0f, -1);
      return p;
    }
    case C_MAP: {
      const v = readVarint(buf, pos);
      if (v === undefined) return -1;
      if (v.value < 0) throw new ScanError('negative map size');
      if (v.value === 0) return v.next;
      if (v.next >= buf.length) return -1;
      const kv = buf[v.next] as number;
      sink.push(v.value * 2, kv >> 4, kv & 0x0f);
      return v.next + 1;
    }
    default:
      throw new ScanError(`unknown compact type ${type}`);
  }
}

/** One binary-protocol value of `type` at `pos`; as compactValue. */
export function binaryValue(sink: ValueSink, buf: Buffer, pos: number, type: number): number {
  const avail = buf.length - pos;
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
      sink.skip(len);
      return pos + 4;
    }
    case B_STRUCT:
      sink.push(-1, 0, -1);
      return pos;
    case B_LIST:
    case B_SET: {
      if (avail < 5) return -1;
      const size = buf.readInt32BE(pos + 1);
      if (size < 0) throw new ScanError('negative collection size');
      sink.push(size, buf[pos] as number, -1);
      return pos + 5;
    }
    case B_MAP: {
      if (avail < 6) return -1;
      const size = buf.readInt32BE(pos + 2);
      if (size < 0) throw new ScanError('negative map size');
      sink.push(size * 2, buf[pos] as number, buf[pos + 1] as number);
      return pos + 6;
    }
    default:
      throw new ScanError(`unknown binary type ${type}`);
  }
}

/** A varint (compact protocol, zigzag not undone: only its extent matters here); undefined when cut. */
export function readVarint(buf: Buffer, pos: number): { value: number; next: number } | undefined {
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
