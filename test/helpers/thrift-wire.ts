import net from 'node:net';
import thrift from 'thrift';

/**
 * Thrift on the wire, for tests and the benchmark that talk to a server
 * with raw bytes: calls encoded by a generated client, framed replies cut
 * from a stream, and a raw socket to send anything at all.
 */

type FramedCtor = new (buffer: Buffer | undefined, onFlush?: (buf: Buffer) => void) => thrift.TTransport;
type ProtocolClass = new (trans: thrift.TTransport) => thrift.TProtocol;
/** A generated `Client` class, whatever its service. */
export type GeneratedClientClass = new (output: thrift.TTransport, pClass: ProtocolClass) => object;

const Framed = thrift.TFramedTransport as unknown as FramedCtor;
const Binary = thrift.TBinaryProtocol as unknown as ProtocolClass;

/**
 * The framed bytes of one call, encoded by the generated client's
 * `send_<method>`, with sequence id `seqid` (the client's first, 0, unless
 * given), in the binary protocol unless another is given.
 */
export function encodeCall(
  Client: GeneratedClientClass,
  method: string,
  args: unknown[] = [],
  seqid = 0,
  Protocol: ProtocolClass = Binary,
): Buffer {
  let bytes: Buffer | undefined;
  const client = new Client(new Framed(undefined, (buf) => (bytes = buf)), Protocol) as Record<string, unknown>;
  client._seqid = seqid;
  const send = client[`send_${method}`];
  if (typeof send !== 'function') throw new Error(`The generated client has no ${method}.`);
  (send as (...a: unknown[]) => void).apply(client, args);
  if (!bytes) throw new Error(`send_${method} wrote nothing.`);
  return bytes;
}

/** Decodes one framed binary reply with the generated client's `recv_<method>`: its result, or the exception. */
export function decodeReply(
  Client: GeneratedClientClass,
  method: string,
  frame: Buffer,
): { result?: unknown; err?: unknown } {
  const client = new Client(new Framed(undefined), Binary) as Record<string, unknown> & {
    _reqs: Record<number, (err: unknown, result: unknown) => void>;
  };
  const input = new Binary(new Framed(frame.subarray(4)));
  const header = input.readMessageBegin();
  let outcome: { result?: unknown; err?: unknown } | undefined;
  client._reqs[header.rseqid] = (err, result) => (outcome = err ? { err } : { result });
  const recv = client[`recv_${method}`];
  if (typeof recv !== 'function') throw new Error(`The generated client has no ${method}.`);
  (recv as (input: thrift.TProtocol, mtype: number, rseqid: number) => void).call(
    client,
    input,
    header.mtype,
    header.rseqid,
  );
  if (!outcome) throw new Error(`recv_${method} did not answer.`);
  return outcome;
}

/**
 * Cuts framed Thrift messages (a 4-byte big-endian length, then the
 * message) from a byte stream that arrives in arbitrary chunks. Each whole
 * frame is handed to `onFrame` as a range of `buf`, length prefix included;
 * the rest waits for the next chunk.
 */
export class FrameCutter {
  private pending: Buffer | undefined;

  constructor(private readonly onFrame: (buf: Buffer, start: number, end: number) => void) {}

  push(chunk: Buffer): void {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    while (buf.length - offset >= 4) {
      const end = offset + 4 + buf.readInt32BE(offset);
      if (end > buf.length) break;
      this.onFrame(buf, offset, end);
      offset = end;
    }
    this.pending = offset < buf.length ? buf.subarray(offset) : undefined;
  }
}

/** The message type and sequence id of each whole framed binary message in `bytes` (strict version header). */
export function messageHeaders(bytes: Buffer): { type: number; seqid: number }[] {
  const out: { type: number; seqid: number }[] = [];
  new FrameCutter((buf, start) => {
    const nameLength = buf.readInt32BE(start + 8);
    out.push({ type: buf[start + 7] as number, seqid: buf.readInt32BE(start + 12 + nameLength) });
  }).push(bytes);
  return out;
}

export interface RawConnection {
  socket: net.Socket;
  /** What the server has sent so far, chunk by chunk. */
  chunks: Buffer[];
  /** Resolves with everything the server sent when the connection closes. */
  closed: Promise<Buffer>;
}

/**
 * A plain TCP connection to 127.0.0.1:port, to send the server any bytes;
 * from `localAddress` (another loopback address, 127.0.0.2, is another client address) when given.
 */
export async function rawConnection(port: number, localAddress?: string): Promise<RawConnection> {
  const socket = net.connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<Buffer>((resolve) => socket.once('close', () => resolve(Buffer.concat(chunks))));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return { socket, chunks, closed };
}
