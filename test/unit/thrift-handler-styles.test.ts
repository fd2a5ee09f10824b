import path from 'node:path';
import thrift from 'thrift';
import { UserError } from '../../src/exception';
import { checkArguments } from '../../src/core/rpc/arguments';
import { BinaryWriter } from '../../src/core/rpc/binary-writer';
import { checkCallers } from '../../src/core/rpc/callers';
import { currentContext } from '../../src/core/ctx';
import { wrapHandler } from '../../src/core/rpc/handler';
import { readIdl } from '../../src/core/rpc/idl';
import { InFlight } from '../../src/core/rpc/in-flight';
import { toIdlException } from '../../src/thrift/errors';
import { AuthException, UserException } from '../../thrift/gen-nodejs/tandem_types';
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
function process(handler: object, method: Method, s: string, replies: Buffer[], callDeadlineMs?: number): void {
  const wrapped = wrapHandler(handler, {
    toIdlException,
    inFlight: new InFlight(),
    accessLog: false,
    ...(callDeadlineMs === undefined ? {} : { callDeadlineMs }),
  });
  const processor = new ProbeProcessor(wrapped);
  const input = new thrift.TBinaryProtocol(new thrift.TFramedTransport(encodeProbeCall(method, s).subarray(4)));
  const output = new BinaryWriter(true, (buf) => replies.push(Buffer.from(buf)));
  processor.process(input, output as unknown as thrift.TProtocol);
}

describe('wrapHandler with the generated processor', () => {
  it('when a call deadline is configured, then the call runs with ctx.deadlineAt that far ahead, for what it calls in turn', () => {
    const replies: Buffer[] = [];
    const seen: (number | undefined)[] = [];
    const before = Date.now();

    process({ echo: (s: string) => (seen.push(currentContext()?.deadlineAt), s) }, 'echo', 'a', replies, 5000);
    process({ echo: (s: string) => (seen.push(currentContext()?.deadlineAt), s) }, 'echo', 'b', replies, 0);

    expect(seen[0]).toBeGreaterThanOrEqual(before + 5000);
    expect(seen[0]).toBeLessThanOrEqual(Date.now() + 5000);
    expect(seen[1]).toBeUndefined();
  });

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

/** A handler written as a class: its methods live on the prototype and read `this`. */
class ProbeService {
  private readonly prefix = '>';

  echo(s: string): string {
    return `${this.prefix}${s}`;
  }

  fail(kind: string): string {
    return `${this.prefix}${kind}`;
  }
}

describe('checkArguments and checkCallers with a class instance', () => {
  it('when the handler is a class instance, then checkArguments keeps its prototype methods and their this', () => {
    const replies: Buffer[] = [];
    const idl = readIdl(path.join(__dirname, '../fixtures/thrift/probe.thrift'));

    process(checkArguments(new ProbeService(), idl), 'echo', 'hi', replies);

    expect(replies).toHaveLength(1);
    expect(decodeProbeReply('echo', replies[0] as Buffer)).toEqual({ result: '>hi' });
  });

  it('when the handler is a class instance, then checkCallers refuses a caller the map does not name', () => {
    const replies: Buffer[] = [];

    process(checkCallers(new ProbeService(), { 'order-service': ['fail'] }), 'fail', 'user', replies);

    expect(replies).toHaveLength(1);
    const { err } = decodeProbeReply('fail', replies[0] as Buffer);
    expect(err).toBeInstanceOf(AuthException);
    expect((err as AuthException).code).toBe(953);
  });
});
