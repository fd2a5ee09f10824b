import Int64 from 'node-int64';
import thrift from 'thrift';
import { BinaryWriter } from '../../src/core/rpc/binary-writer';
import { numberToI64 } from '../../src/core/rpc';
import {
  CsEvent,
  CsEventPage,
  CsSource,
  CsStatus,
  CsUserType,
  UserException,
} from '../../thrift/gen-nodejs/tandem_types';

type TransportCtor = new (buffer: Buffer | undefined, onFlush: (buf: Buffer) => void) => thrift.TTransport;
type Writable = { write: (output: thrift.TProtocol) => void };

/** The generated structs have write(output); their .d.ts does not declare it. */
const writable = (struct: object): Writable => struct as unknown as Writable;

/** What the library's TBinaryProtocol over TFramedTransport / TBufferedTransport puts on the wire. */
function libraryBytes(framed: boolean, name: string, type: number, seqid: number, body: Writable): Buffer {
  const chunks: Buffer[] = [];
  const Transport = (framed ? thrift.TFramedTransport : thrift.TBufferedTransport) as unknown as TransportCtor;
  const output = new thrift.TBinaryProtocol(new Transport(undefined, (buf) => chunks.push(Buffer.from(buf))));
  output.writeMessageBegin(name, type, seqid);
  body.write(output);
  output.writeMessageEnd();
  output.flush();
  return Buffer.concat(chunks);
}

function writerBytes(framed: boolean, name: string, type: number, seqid: number, body: Writable): Buffer {
  const chunks: Buffer[] = [];
  const writer = new BinaryWriter(framed, (buf) => chunks.push(buf));
  const output = writer as unknown as thrift.TProtocol;
  output.writeMessageBegin(name, type, seqid);
  body.write(output);
  output.writeMessageEnd();
  output.flush();
  return Buffer.concat(chunks);
}

function event(id: number, content: string): CsEvent {
  return new CsEvent({
    id: numberToI64(id),
    user_id: numberToI64(42),
    user_type: CsUserType.USER,
    phone: '+33 1 23 45 67 89',
    order_id: new Int64('7fffffffffffffff'),
    source: CsSource.PHONE,
    priority: -3,
    status: CsStatus.FORWARD,
    creator_id: numberToI64(1),
    handler_id: numberToI64(2),
    compensation: 12.5,
    content,
    created_at: '2026-11-23T10:00:00.000Z',
    updated_at: '2026-11-23T10:00:00.000Z',
  });
}

const REPLY = thrift.Thrift.MessageType.REPLY;
const EXCEPTION = thrift.Thrift.MessageType.EXCEPTION;

const bodies: [string, number, Writable][] = [
  [
    'an event with full-range i64, a double and non-ASCII text',
    REPLY,
    writable(event(9_007_199_254_740_991, 'Ça coûte 5 € 🙂')),
  ],
  [
    'a page of 300 events (the buffer grows past its first size)',
    REPLY,
    writable(
      new CsEventPage({
        items: Array.from({ length: 300 }, (_, i) => event(i + 1, `event ${i} ${'x'.repeat(i)}`)),
        total: 300,
        page: 1,
        page_size: 300,
      }),
    ),
  ],
  ['a declared exception', REPLY, writable(new UserException({ code: 1100, message: 'not found' }))],
  [
    'a TApplicationException',
    EXCEPTION,
    new thrift.Thrift.TApplicationException(thrift.Thrift.TApplicationExceptionType.INTERNAL_ERROR, 'Internal error'),
  ],
];

describe('BinaryWriter', () => {
  it.each(bodies.flatMap(([what, type, body]) => [true, false].map((framed) => [what, framed, type, body] as const)))(
    'when it writes %s (framed=%s), then the bytes are exactly those of the library',
    (_what, framed, type, body) => {
      const expected = libraryBytes(framed, 'get_cs_event', type, 77, body);

      const actual = writerBytes(framed, 'get_cs_event', type, 77, body);

      expect(actual.equals(expected)).toBe(true);
    },
  );

  it('when encoding a reply throws half-way, then the next reply carries none of its bytes', () => {
    const chunks: Buffer[] = [];
    const writer = new BinaryWriter(true, (buf) => chunks.push(buf));
    const output = writer as unknown as thrift.TProtocol;
    output.writeMessageBegin('get_cs_event', REPLY, 1);
    output.writeStructBegin('partial');
    output.writeFieldBegin('content', thrift.Thrift.Type.STRING, 13);
    expect(() => output.writeString(123 as unknown as string)).toThrow(/writeString called without a string/);

    const body = writable(new UserException({ code: 500, message: 'x' }));
    output.writeMessageBegin('get_cs_event', EXCEPTION, 2);
    body.write(output);
    output.writeMessageEnd();
    output.flush();

    expect(chunks).toHaveLength(1);
    expect((chunks[0] as Buffer).equals(libraryBytes(true, 'get_cs_event', EXCEPTION, 2, body))).toBe(true);
  });

  it('when an i64 sits at an offset of a larger buffer, or comes as a number, then its own eight bytes are written', () => {
    const write = (value: Int64 | number): Buffer => {
      const chunks: Buffer[] = [];
      const writer = new BinaryWriter(false, (buf) => chunks.push(buf));
      writer.writeI64(value);
      writer.flush();
      return chunks[0] as Buffer;
    };
    const shared = Buffer.alloc(16, 0xff);
    numberToI64(-2).buffer.copy(shared, 8);

    expect(write(new Int64(shared, 8)).equals(numberToI64(-2).buffer)).toBe(true);
    expect(write(-2).equals(numberToI64(-2).buffer)).toBe(true);
    expect(() => write(2 ** 53)).toThrow(/not a safe integer/);
  });

  it('when two replies are flushed, then each gets a buffer of its own (the socket may still hold the first)', () => {
    const chunks: Buffer[] = [];
    const writer = new BinaryWriter(true, (buf) => chunks.push(buf));
    const output = writer as unknown as thrift.TProtocol;
    for (const seqid of [1, 2]) {
      output.writeMessageBegin('ping', REPLY, seqid);
      output.writeFieldStop();
      output.flush();
    }

    expect((chunks[0] as Buffer).readInt32BE(4 + 4 + 4 + 4)).toBe(1);
    expect((chunks[1] as Buffer).readInt32BE(4 + 4 + 4 + 4)).toBe(2);
  });
});
