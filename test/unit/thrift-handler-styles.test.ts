import thrift from 'thrift';
import { UserError } from '../../src/exception';
import { BinaryWriter } from '../../src/core/rpc/binary-writer';
import { wrapHandler } from '../../src/core/rpc/handler';
import { InFlight } from '../../src/core/rpc/in-flight';
import { toIdlException } from '../../src/thrift/errors';
import { UserException } from '../../thrift/gen-nodejs/tandem_types';
import { Client as ProbeClient, Processor as ProbeProcessor } from '../fixtures/thrift/gen-nodejs/Probe';
import { waitFor } from '../helpers/wait';

/**
 * wrapHandler against the generated Probe processor, with real binary
 * encoding on both sides (no socket: the bytes go straight in and out). The
 * processor passes a callback only when the wrapper declares more parameters
 * than the IDL; a method declared with fewer gets the promise style, and
 * must be answered all the same.
 */

type FramedCtor = new (buffer: Buffer | undefined, onFlush?: (buf: Buffer) => void) => thrift.TTransport;
const Framed = thrift.TFramedTransport as unknown as FramedCtor;
type Method = 'echo' | 'fail';
type GeneratedClient = Record<string, unknown> & { _reqs: Record<number, (err: unknown, result: unknown) => void> };

/** The framed bytes of one call of a one-string-argument method, encoded by the generated client. */
function encodeCall(method: Method, s: string): Buffer {
  let bytes: Buffer | undefined;
  const client = new ProbeClient(new Framed(undefined, (buf) => (bytes = buf)), thrift.TBinaryProtocol);
  (client as unknown as Record<string, (s: string) => void>)[`send_${method}`]?.(s);
  if (!bytes) throw new Error(`send_${method} wrote nothing`);
  return bytes;
}

/** Decodes a framed reply with the generated client: its value, or what it rejected with. */
function decodeReply(method: Method, frame: Buffer): { result?: unknown; err?: unknown } {
  const client = new ProbeClient(new Framed(undefined), thrift.TBinaryProtocol) as unknown as GeneratedClient;
  const input = new thrift.TBinaryProtocol(new Framed(frame.subarray(4)));
  const header = input.readMessageBegin();
  let outcome: { result?: unknown; err?: unknown } = {};
  client._reqs[header.rseqid] = (err, result) => (outcome = err ? { err } : { result });
  const recv = client[`recv_${method}`] as (input: thrift.TProtocol, mtype: number, rseqid: number) => void;
  recv.call(client, input, header.mtype, header.rseqid);
  return outcome;
}

/** Runs one call through the processor; `replies` gets each reply frame written. */
function process(handler: object, method: Method, s: string, replies: Buffer[]): void {
  const wrapped = wrapHandler(handler, { toIdlException, inFlight: new InFlight(), accessLog: false });
  const processor = new ProbeProcessor(wrapped);
  const input = new thrift.TBinaryProtocol(new Framed(encodeCall(method, s).subarray(4)));
  const output = new BinaryWriter(true, (buf) => replies.push(Buffer.from(buf)));
  processor.process(input, output as unknown as thrift.TProtocol);
}

describe('wrapHandler with the generated processor', () => {
  it('when a method declares the IDL arguments and returns a value, then it is answered in the same tick', () => {
    const replies: Buffer[] = [];

    process({ echo: (s: string) => s.toUpperCase() }, 'echo', 'hi', replies);

    expect(replies).toHaveLength(1);
    expect(decodeReply('echo', replies[0] as Buffer)).toEqual({ result: 'HI' });
  });

  it('when a method declares fewer parameters than the IDL, then the promise style answers it', async () => {
    const replies: Buffer[] = [];

    process({ echo: () => 'fixed' }, 'echo', 'ignored', replies);

    await waitFor(() => (replies.length > 0 ? true : undefined), 2000, 'the reply');
    expect(replies).toHaveLength(1);
    expect(decodeReply('echo', replies[0] as Buffer)).toEqual({ result: 'fixed' });
  });

  it('when a method that declares fewer parameters throws a UserError, then the declared exception arrives', async () => {
    const replies: Buffer[] = [];

    process(
      {
        fail: () => {
          throw new UserError('BAD_REQUEST', { params: { reason: 'no.' } });
        },
      },
      'fail',
      'user',
      replies,
    );

    await waitFor(() => (replies.length > 0 ? true : undefined), 2000, 'the reply');
    const { err } = decodeReply('fail', replies[0] as Buffer);
    expect(err).toBeInstanceOf(UserException);
    expect((err as UserException).code).toBe(1000);
  });
});
