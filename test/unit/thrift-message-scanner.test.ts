import thrift from 'thrift';
import Int64 from 'node-int64';
import { MessageScanner, ScanError, ShapeError } from '../../src/core/rpc/message-scanner';
import { CsEvent, CsEventPage, CreateCsEventRequest } from '../../thrift/gen-nodejs/tandem_types';

type BufferedCtor = new (buffer: Buffer | undefined, onFlush: (buf: Buffer) => void) => thrift.TTransport;
type ProtocolClass = new (trans: thrift.TTransport) => thrift.TProtocol;

/** One unframed message of `type` carrying `struct`, encoded by the library. */
function encode(compact: boolean, type: thrift.Thrift.MessageType, value: object): Buffer {
  const struct = value as { write(o: thrift.TProtocol): void };
  let out: Buffer | undefined;
  const transport = new (thrift.TBufferedTransport as unknown as BufferedCtor)(undefined, (buf) => (out = buf));
  const Protocol = (compact ? thrift.TCompactProtocol : thrift.TBinaryProtocol) as unknown as ProtocolClass;
  const protocol = new Protocol(transport);
  protocol.writeMessageBegin('some_method_name', type, 7);
  struct.write(protocol);
  protocol.writeMessageEnd();
  protocol.flush();
  return out as Buffer;
}

const event = new CsEvent({
  id: new Int64(1),
  user_id: new Int64(2),
  user_type: 1,
  phone: '555',
  source: 1,
  priority: 3,
  status: 1,
  creator_id: new Int64(5),
  handler_id: new Int64(5),
  compensation: 1.5,
  content: 'x'.repeat(300),
  created_at: 'now',
  updated_at: 'now',
});
/** A struct with a list of structs in it, as an argument struct is a struct. */
const page = new CsEventPage({ items: [event, event, event], total: 3, page: 1, page_size: 20 });
const request = new CreateCsEventRequest({ user_type: 1, source: 2, content: 'hello', creator_id: new Int64(5) });

/** Feeds `bytes` cut at the given offsets; returns the end offset reported, counted from the start. */
function scanInPieces(scanner: MessageScanner, bytes: Buffer, cuts: number[]): number {
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    const chunk = bytes.subarray(from, cut);
    const end = scanner.feed(chunk, 0);
    if (end >= 0) return from + end;
    from = cut;
  }
  return -1;
}

describe.each([
  ['binary', false],
  ['compact', true],
])('MessageScanner, %s protocol', (_name, compact) => {
  const messages = [
    ['a page of events (a list of structs)', encode(compact, thrift.Thrift.MessageType.REPLY, page)],
    ['a create request', encode(compact, thrift.Thrift.MessageType.CALL, request)],
  ] as const;

  it.each(messages)('when %s arrives whole, then its end is its length', (_what, bytes) => {
    expect(new MessageScanner(compact).feed(bytes, 0)).toBe(bytes.length);
  });

  it.each(messages)('when %s arrives cut in two at every offset, then its end is found each time', (_what, bytes) => {
    for (let cut = 1; cut < bytes.length; cut += 1) {
      expect(scanInPieces(new MessageScanner(compact), bytes, [cut])).toBe(bytes.length);
    }
  });

  it.each(messages)('when %s arrives byte by byte, then its end is found at its last byte', (_what, bytes) => {
    const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
    expect(scanInPieces(new MessageScanner(compact), bytes, cuts)).toBe(bytes.length);
  });

  it('when a second message follows in the same chunk, then the end of the first is reported', () => {
    const one = messages[1][1];
    const two = Buffer.concat([one, one]);
    const scanner = new MessageScanner(compact);
    expect(scanner.feed(two, 0)).toBe(one.length);
    scanner.reset();
    expect(scanner.feed(two, one.length)).toBe(two.length);
  });

  it('when a message is cut short, then no end is reported and what it claims is known', () => {
    const bytes = messages[0][1];
    const scanner = new MessageScanner(compact);
    expect(scanner.feed(bytes.subarray(0, bytes.length - 1), 0)).toBe(-1);
    expect(scanner.claimed).toBeGreaterThanOrEqual(bytes.length - 1);
  });
});

it('when a binary message nests deeper than 64, then it is refused', () => {
  // Header of a CALL named "m", seqid 0, then 70 struct fields each opening a struct.
  const head = Buffer.from([0x80, 0x01, 0x00, 0x01, 0, 0, 0, 1, 0x6d, 0, 0, 0, 0]);
  const nest = Buffer.alloc(70 * 3);
  for (let i = 0; i < 70; i += 1) {
    nest.writeUInt8(12, i * 3);
    nest.writeInt16BE(1, i * 3 + 1);
  }
  expect(() => new MessageScanner(false).feed(Buffer.concat([head, nest]), 0)).toThrow(ScanError);
});

it('when a string announces a negative length, then it is refused', () => {
  const bytes = Buffer.from([0x80, 0x01, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff]);
  expect(() => new MessageScanner(false).feed(bytes, 0)).toThrow(ScanError);
});

describe('shape limits', () => {
  /** A binary CALL named "m" whose argument struct holds `body`, then STOP. */
  const call = (body: Buffer): Buffer =>
    Buffer.concat([Buffer.from([0x80, 0x01, 0x00, 0x01, 0, 0, 0, 1, 0x6d, 0, 0, 0, 0]), body, Buffer.from([0])]);
  /** `count` i16 fields. */
  const fields = (count: number): Buffer => {
    const body = Buffer.alloc(count * 5);
    for (let i = 0; i < count; i += 1) body.writeUInt8(6, i * 5);
    return body;
  };
  const limits = { maxDepth: 8, maxStructFields: 10, maxValues: 25 };

  it('when a struct has as many fields as allowed, then the message is whole; one more is a ShapeError naming the limit', () => {
    const ok = call(fields(10));
    expect(new MessageScanner(false, limits).feed(ok, 0)).toBe(ok.length);
    expect(() => new MessageScanner(false, limits).feed(call(fields(11)), 0)).toThrow(
      new ShapeError('a struct with more than 10 fields'),
    );
  });

  it('when structs within the field limit add up past the values limit, then it is a ShapeError', () => {
    // Three struct fields of 9 i16 fields each: 3 + 27 values.
    const nested = Buffer.concat(
      Array.from({ length: 3 }, () => Buffer.concat([Buffer.from([12, 0, 1]), fields(9), Buffer.from([0])])),
    );
    expect(() => new MessageScanner(false, limits).feed(call(nested), 0)).toThrow(
      new ShapeError('more than 25 values in one message'),
    );
  });

  it('when a list announces more elements than the values limit, then it is refused at its head, before its elements', () => {
    const head = Buffer.from([15, 0, 1, 8, 0, 0, 0, 30]);
    const scanner = new MessageScanner(false, limits);
    expect(() => scanner.feed(call(head).subarray(0, 13 + head.length), 0)).toThrow(ShapeError);
  });

  it('when a scanner is reset, then the next message starts its count from zero', () => {
    const scanner = new MessageScanner(false, limits);
    const message = call(fields(10));
    for (let i = 0; i < 5; i += 1) {
      expect(scanner.feed(message, 0)).toBe(message.length);
      scanner.reset();
    }
  });
});
