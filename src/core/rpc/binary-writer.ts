import type Int64 from 'node-int64';
import thrift from 'thrift';
import { numberToI64 } from './int64';

const VERSION_1 = 0x80010000 | 0;
const INITIAL_BYTES = 1024;

/**
 * The output side of TBinaryProtocol (strict write, as the library's
 * default) for the Thrift server's replies, writing each message straight
 * into one reused buffer and handing it over, framed or not, in one piece.
 *
 * The library's TBinaryProtocol allocates a Buffer per field and value
 * (with the deprecated `new Buffer`) and its TFramedTransport copies the
 * message twice more on flush; replies are most of a call's encoding work.
 * Reading requests stays with the library's protocol: it parses untrusted
 * input and is not where the time goes.
 *
 * Every message starts afresh at writeMessageBegin, so a reply whose
 * encoding threw half-way leaves nothing behind for the next one.
 */
export class BinaryWriter {
  private buf = Buffer.allocUnsafe(INITIAL_BYTES);
  private at = 0;
  private readonly start: number;

  constructor(
    private readonly framed: boolean,
    private readonly onFlush: (message: Buffer) => void,
  ) {
    this.start = framed ? 4 : 0;
    this.at = this.start;
  }

  private room(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + bytes) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }

  /** Discards what was written of the current message. */
  reset(): void {
    this.at = this.start;
  }

  flush(): void {
    if (this.framed) this.buf.writeInt32BE(this.at - 4, 0);
    // The socket may hold on to what it is given until it is sent: it gets its own copy.
    const message = Buffer.allocUnsafe(this.at);
    this.buf.copy(message, 0, 0, this.at);
    this.reset();
    // A buffer grown for one large reply is not kept for every later one.
    if (this.buf.length > 64 * INITIAL_BYTES) this.buf = Buffer.allocUnsafe(INITIAL_BYTES);
    this.onFlush(message);
  }

  writeMessageBegin(name: string, type: number, seqid: number): void {
    this.reset();
    this.writeI32(VERSION_1 | type);
    this.writeString(name);
    this.writeI32(seqid);
  }

  writeMessageEnd(): void {}
  writeStructBegin(): void {}
  writeStructEnd(): void {}
  writeFieldEnd(): void {}
  writeMapEnd(): void {}
  writeListEnd(): void {}
  writeSetEnd(): void {}

  writeFieldBegin(_name: string, type: number, id: number): void {
    this.writeByte(type);
    this.writeI16(id);
  }

  writeFieldStop(): void {
    this.writeByte(thrift.Thrift.Type.STOP);
  }

  writeMapBegin(keyType: number, valueType: number, size: number): void {
    this.writeByte(keyType);
    this.writeByte(valueType);
    this.writeI32(size);
  }

  writeListBegin(elementType: number, size: number): void {
    this.writeByte(elementType);
    this.writeI32(size);
  }

  writeSetBegin(elementType: number, size: number): void {
    this.writeListBegin(elementType, size);
  }

  writeBool(value: boolean): void {
    this.writeByte(value ? 1 : 0);
  }

  writeByte(value: number): void {
    this.room(1);
    this.at = this.buf.writeInt8((value << 24) >> 24, this.at);
  }

  writeI16(value: number): void {
    this.room(2);
    this.at = this.buf.writeInt16BE((value << 16) >> 16, this.at);
  }

  writeI32(value: number): void {
    this.room(4);
    this.at = this.buf.writeInt32BE(value | 0, this.at);
  }

  /** An Int64 (read at its own offset) or a safe integer, as the library accepts. */
  writeI64(value: Int64 | number): void {
    const i64 = typeof value === 'number' ? numberToI64(value) : value;
    this.room(8);
    this.at += i64.buffer.copy(this.buf, this.at, i64.offset, i64.offset + 8);
  }

  writeDouble(value: number): void {
    this.room(8);
    this.at = this.buf.writeDoubleBE(value, this.at);
  }

  writeString(value: string | Buffer): void {
    this.writeBytes(value, 'utf8', 'writeString');
  }

  writeBinary(value: string | Buffer): void {
    this.writeBytes(value, 'binary', 'writeBinary');
  }

  private writeBytes(value: string | Buffer | Uint8Array, encoding: BufferEncoding, method: string): void {
    if (typeof value === 'string') {
      const length = Buffer.byteLength(value, encoding);
      this.writeI32(length);
      this.room(length);
      this.at += this.buf.write(value, this.at, length, encoding);
    } else if (value instanceof Uint8Array) {
      this.writeI32(value.length);
      this.room(value.length);
      this.buf.set(value, this.at);
      this.at += value.length;
    } else {
      throw new Error(`${method} called without a string/Buffer argument: ${String(value)}`);
    }
  }
}
