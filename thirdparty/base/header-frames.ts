import thrift from 'thrift';
import { type HeaderTransport, THeaderProtocol } from '../../src/core/rpc';

/**
 * Apache Thrift's THeader frames as a client of a sibling service and the
 * stub of one read and write them, over the library's header transport:
 * a frame is its length word, the 0x0FFF magic, flags, a sequence id and
 * headers, then the message in the protocol the headers name.
 */

/** The second word of a THeader frame, after its length. */
const HEADER_MAGIC = 0x0fff;

/** Whether a whole frame (length word included) is a THeader frame. */
export function isHeaderFrame(whole: Buffer): boolean {
  return whole.length >= 6 && whole.readUInt16BE(4) === HEADER_MAGIC;
}

/**
 * A whole THeader frame (length word included) ready to read: the
 * protocol's readMessageBegin reads the headers, then the message; the
 * transport's readHeaders gives them beforehand.
 */
export function headerFrameInput(whole: Buffer): { transport: HeaderTransport; protocol: thrift.TProtocol } {
  const transport = new thrift.TBufferedTransport() as unknown as HeaderTransport;
  transport.inBuf = whole;
  transport.readCursor = 0;
  transport.writeCursor = whole.length;
  return { transport, protocol: new THeaderProtocol(transport as unknown as thrift.TTransport) };
}

type FlushingTransport = HeaderTransport & { flush(): void };

/**
 * A THeader output for a processor's replies, handing each finished frame to
 * `send`: a processor flushes its THeaderProtocol, which puts the headers in
 * front.
 */
export function headerFrameOutput(send: (frame: Buffer) => void): HeaderTransport {
  const TransportCtor = thrift.TBufferedTransport as unknown as new (
    buffer: Buffer | undefined,
    onFlush: (buf: Buffer) => void,
  ) => FlushingTransport;
  return new TransportCtor(undefined, send);
}

/**
 * A THeader output for a generated client's calls, handing each finished
 * frame to `send`. Generated clients flush the transport, not the protocol,
 * so the headers are put in front here at every flush, after `beforeFlush`
 * (which may set the frame's sequence id).
 */
export function clientHeaderFrameOutput(send: (frame: Buffer) => void, beforeFlush: () => void): HeaderTransport {
  const transport = headerFrameOutput(send) as FlushingTransport;
  const flush = transport.flush.bind(transport);
  transport.flush = () => {
    beforeFlush();
    transport.writeHeaders();
    flush();
  };
  return transport;
}
