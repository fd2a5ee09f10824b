import Int64 from 'node-int64';
import thrift from 'thrift';
import { detectFraming, i64ToNumber, numberToI64 } from '../../src/core/rpc';
import { UserError } from '../../src/exception';

type TransportCtor = new (buffer: Buffer | undefined, onFlush: (buf: Buffer) => void) => thrift.TTransport;
type ProtocolCtor = new (trans: thrift.TTransport) => thrift.TProtocol;

/** The bytes a real thrift client puts on the wire for a `ping()` call. */
function pingCall(framed: boolean, compact: boolean): Buffer {
  let wire = Buffer.alloc(0);
  const Transport = (framed ? thrift.TFramedTransport : thrift.TBufferedTransport) as unknown as TransportCtor;
  const Protocol = (compact ? thrift.TCompactProtocol : thrift.TBinaryProtocol) as unknown as ProtocolCtor;
  const output = new Protocol(new Transport(undefined, (buf) => (wire = Buffer.concat([wire, buf]))));
  output.writeMessageBegin('ping', thrift.Thrift.MessageType.CALL, 1);
  output.writeStructBegin('ping_args');
  output.writeFieldStop();
  output.writeStructEnd();
  output.writeMessageEnd();
  output.flush();
  return wire;
}

describe('detectFraming', () => {
  it.each([
    [false, false, { framed: false, protocol: 'binary' }],
    [false, true, { framed: false, protocol: 'compact' }],
    [true, false, { framed: true, protocol: 'binary' }],
    [true, true, { framed: true, protocol: 'compact' }],
  ])('when a real client sends framed=%s compact=%s, then it is recognised', (framed, compact, expected) => {
    const wire = pingCall(framed, compact);

    expect(detectFraming(wire)).toEqual(expected);
    expect(detectFraming(wire.subarray(0, 5))).toEqual(expected);
  });

  it('when too few bytes have arrived to decide, then it is pending', () => {
    expect(detectFraming(Buffer.alloc(0))).toBe('pending');
    expect(detectFraming(Buffer.from([0x80]))).toBe('pending');
    expect(detectFraming(Buffer.from([0x00, 0x00, 0x00, 0x1a]))).toBe('pending');
  });

  it('when the bytes are not Thrift, then it is garbage', () => {
    expect(detectFraming(Buffer.from('GET / HTTP/1.1\r\n'))).toBe('garbage');
    expect(detectFraming(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]))).toBe('garbage'); // a TLS hello
    expect(detectFraming(Buffer.from([0x80, 0x02]))).toBe('garbage');
    expect(detectFraming(Buffer.from([0x00, 0x00, 0x00, 0x1a, 0x41]))).toBe('garbage');
  });
});

describe('i64 at the adapter', () => {
  it('when an i64 holds a safe integer, then it becomes that number and back', () => {
    expect(i64ToNumber(new Int64(42), 'id')).toBe(42);
    expect(i64ToNumber(new Int64(-7), 'delta')).toBe(-7);
    expect(i64ToNumber(Number.MAX_SAFE_INTEGER, 'id')).toBe(Number.MAX_SAFE_INTEGER);
    expect(numberToI64(Number.MAX_SAFE_INTEGER).toNumber(false)).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('when an i64 is beyond 2^53, then a UserError names the field', () => {
    const beyond = new Int64('0020000000000001'); // 2^53 + 1

    const run = (): number => i64ToNumber(beyond, 'order_id');

    expect(run).toThrow(UserError);
    expect(run).toThrow('The field order_id is beyond the safe integer range.');
  });

  it('when an i64 is missing, then a validation UserError names the field', () => {
    expect(() => i64ToNumber(undefined, 'order_id')).toThrow(/order_id \(required\)/);
  });
});
