import thrift from 'thrift';
import { UserError } from '../../src/exception';
import { BinaryWriter } from '../../src/core/rpc/binary-writer';
import { wrapHandler } from '../../src/core/rpc/handler';
import { InFlight } from '../../src/core/rpc/in-flight';
import { toIdlException } from '../../src/thrift/errors';
import { UserException } from '../../thrift/gen-nodejs/tandem_types';
import { Client as ProbeClient, Processor as ProbeProcessor } from '../fixtures/thrift/gen-nodejs/Probe';
import { decodeReply, encodeCall, type GeneratedClientClass } from '../helpers/thrift-wire';
import { waitFor } from '../helpers/wait';

/**
 * wrapHandler against the generated Probe processor, with real binary
 * encoding on both sides (no socket: the bytes go straight in and out). The
 * processor passes a callback only when the wrapper declares more parameters
 * than the IDL; a method declared with fewer gets the promise style, and
 * must be answered all the same.
 */

type Method = 'echo' | 'fail';

const Probe: GeneratedClientClass = ProbeClient;
const encodeProbeCall = (method: Method, s: string): Buffer => encodeCall(Probe, method, [s]);
const decodeProbeReply = (method: Method, frame: Buffer): { result?: unknown; err?: unknown } =>
  decodeReply(Probe, method, frame);

/** Runs one call through the processor; `replies` gets each reply frame written. */
function process(handler: object, method: Method, s: string, replies: Buffer[]): void {
  const wrapped = wrapHandler(handler, { toIdlException, inFlight: new InFlight(), accessLog: false });
  const processor = new ProbeProcessor(wrapped);
  const input = new thrift.TBinaryProtocol(new thrift.TFramedTransport(encodeProbeCall(method, s).subarray(4)));
  const output = new BinaryWriter(true, (buf) => replies.push(Buffer.from(buf)));
  processor.process(input, output as unknown as thrift.TProtocol);
}

describe('wrapHandler with the generated processor', () => {
  it('when a method declares the IDL arguments and returns a value, then it is answered in the same tick', () => {
    const replies: Buffer[] = [];

    process({ echo: (s: string) => s.toUpperCase() }, 'echo', 'hi', replies);

    expect(replies).toHaveLength(1);
    expect(decodeProbeReply('echo', replies[0] as Buffer)).toEqual({ result: 'HI' });
  });

  it('when a method declares fewer parameters than the IDL, then the promise style answers it', async () => {
    const replies: Buffer[] = [];

    process({ echo: () => 'fixed' }, 'echo', 'ignored', replies);

    await waitFor(() => (replies.length > 0 ? true : undefined), 2000, 'the reply');
    expect(replies).toHaveLength(1);
    expect(decodeProbeReply('echo', replies[0] as Buffer)).toEqual({ result: 'fixed' });
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
    const { err } = decodeProbeReply('fail', replies[0] as Buffer);
    expect(err).toBeInstanceOf(UserException);
    expect((err as UserException).code).toBe(1000);
  });
});
