import thrift from 'thrift';
import type { RunningApp } from '../../src/core/app/app';
import { baseUrl, startTestApp } from '../helpers/app';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { decodeReply, encodeCall, messageHeaders, rawConnection } from '../helpers/thrift-wire';
import { waitFor, within } from '../helpers/wait';
import { Client as TandemClient } from '../../thrift/gen-nodejs/Tandem';
import { UserException } from '../../thrift/gen-nodejs/tandem_types';

/** Only CALL and ONEWAY messages are served; ONEWAY is never answered. */

let app: RunningApp;
let logs: LogCapture;

beforeAll(async () => {
  app = await startTestApp();
  logs = captureLogs();
});

afterAll(async () => {
  await app.stop();
});

async function sample(series: RegExp): Promise<number> {
  const text = await (await fetch(`${baseUrl(app)}/metrics`)).text();
  const match = series.exec(text);
  return match ? Number(match[1]) : 0;
}

const rejected = (reason: string): Promise<number> =>
  sample(new RegExp(`^tandem_thrift_connections_rejected_total\\{reason="${reason}"\\} (\\d+)$`, 'm'));
const pingsServed = (): Promise<number> =>
  sample(/^tandem_thrift_call_duration_seconds_count\{method="ping",outcome="ok"\} (\d+)$/m);

/** A framed binary ping() with its message type byte set to `type`. */
function pingOfType(type: number, seqid: number): Buffer {
  const bytes = encodeCall(TandemClient, 'ping', [], seqid);
  bytes[7] = type;
  return bytes;
}

it.each([
  ['REPLY', thrift.Thrift.MessageType.REPLY],
  ['EXCEPTION', thrift.Thrift.MessageType.EXCEPTION],
  ['9 (no such type)', 9],
])(
  'when a client sends a message of type %s, then it is not answered, its connection is closed and counted as protocol',
  async (_name, type) => {
    const before = await rejected('protocol');
    const raw = await rawConnection(app.thrift.port);

    raw.socket.write(pingOfType(type, 3));

    const answer = await within(raw.closed, 5000, 'the server closing the connection');
    expect(answer.length).toBe(0);
    expect(await rejected('protocol')).toBe(before + 1);
    await logs.find((l) => l.message === 'thrift connection closed' && l.reason === 'protocol');
    // Each type is counted; the lines are at most one a minute per reason, so one for all of these cases.
    expect(logs.lines.filter((l) => l.message === 'thrift connection closed' && l.reason === 'protocol')).toHaveLength(
      1,
    );
  },
);

it('when a client sends ping() as ONEWAY and then as CALL, then only the CALL is answered and the connection stays open', async () => {
  const served = await pingsServed();
  const raw = await rawConnection(app.thrift.port);

  raw.socket.write(Buffer.concat([pingOfType(thrift.Thrift.MessageType.ONEWAY, 1), pingOfType(1, 2)]));

  await waitFor(() => (raw.chunks.length > 0 ? true : undefined), 5000, 'the reply to the CALL');
  // Whatever else the server would send leaves in the same turn; give it a moment to show up.
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(messageHeaders(Buffer.concat(raw.chunks))).toEqual([{ type: thrift.Thrift.MessageType.REPLY, seqid: 2 }]);
  expect(raw.socket.destroyed).toBe(false);
  // Both calls ran.
  expect(await pingsServed()).toBe(served + 2);
  raw.socket.destroy();
});

type FramedCtor = new (buffer: Buffer | undefined, onFlush: (buf: Buffer) => void) => thrift.TTransport;

/** A framed binary CALL of `method` whose argument struct `writeArgs` writes field by field (anything at all). */
function rawCall(method: string, writeArgs: (p: thrift.TProtocol) => void): Buffer {
  let out: Buffer | undefined;
  const p = new thrift.TBinaryProtocol(
    new (thrift.TFramedTransport as unknown as FramedCtor)(undefined, (b) => (out = b)),
  );
  p.writeMessageBegin(method, thrift.Thrift.MessageType.CALL, 1);
  p.writeStructBegin('args');
  writeArgs(p);
  p.writeFieldStop();
  p.writeStructEnd();
  p.writeMessageEnd();
  p.flush();
  return out as Buffer;
}

function field(p: thrift.TProtocol, id: number, type: thrift.Thrift.Type, write: () => void): void {
  p.writeFieldBegin('f', type, id);
  write();
  p.writeFieldEnd();
}

/** Sends one raw call and decodes its reply with the generated client. */
async function callRaw(method: string, bytes: Buffer): Promise<{ result?: unknown; err?: unknown }> {
  const raw = await rawConnection(app.thrift.port);
  try {
    raw.socket.write(bytes);
    const frame = await waitFor(
      () => {
        const all = Buffer.concat(raw.chunks);
        return all.length >= 4 && all.length >= 4 + all.readInt32BE(0) ? all : undefined;
      },
      5000,
      'the reply',
    );
    return decodeReply(TandemClient, method, frame);
  } finally {
    raw.socket.destroy();
  }
}

const T = thrift.Thrift.Type;

describe('arguments missing or of the wrong type', () => {
  it.each([
    [
      'create_cs_event with no request',
      'create_cs_event',
      () => undefined,
      ['request (required CreateCsEventRequest is missing)'],
    ],
    [
      'create_cs_event with a request missing user_type and content',
      'create_cs_event',
      (p: thrift.TProtocol) =>
        field(p, 1, T.STRUCT, () => {
          p.writeStructBegin('r');
          field(p, 5, T.I32, () => p.writeI32(1));
          p.writeFieldStop();
          p.writeStructEnd();
        }),
      ['request.user_type (required CsUserType is missing)', 'request.content (required string is missing)'],
    ],
    [
      'create_cs_event with user_type sent as a string',
      'create_cs_event',
      (p: thrift.TProtocol) =>
        field(p, 1, T.STRUCT, () => {
          p.writeStructBegin('r');
          field(p, 2, T.STRING, () => p.writeString('MERCHANT'));
          field(p, 5, T.I32, () => p.writeI32(1));
          field(p, 9, T.STRING, () => p.writeString('hello'));
          p.writeFieldStop();
          p.writeStructEnd();
        }),
      ['request.user_type (expected CsUserType)'],
    ],
    [
      'create_cs_event with an optional field (priority) sent as a string',
      'create_cs_event',
      (p: thrift.TProtocol) =>
        field(p, 1, T.STRUCT, () => {
          p.writeStructBegin('r');
          field(p, 2, T.I32, () => p.writeI32(1));
          field(p, 5, T.I32, () => p.writeI32(1));
          field(p, 7, T.STRING, () => p.writeString('high'));
          field(p, 9, T.STRING, () => p.writeString('hello'));
          p.writeFieldStop();
          p.writeStructEnd();
        }),
      ['request.priority (expected i32)'],
    ],
    [
      'get_cs_event with id sent as a string',
      'get_cs_event',
      (p: thrift.TProtocol) => field(p, 1, T.STRING, () => p.writeString('12')),
      ['id (expected i64)'],
    ],
    ['hello with no service name', 'hello', () => undefined, ['service_name (required string is missing)']],
  ])(
    'when a client calls %s, then UserException 1001 names each bad field and nothing fails inside',
    async (_what, method, writeArgs, named) => {
      const { err } = await callRaw(method, rawCall(method, writeArgs));

      expect(err).toBeInstanceOf(UserException);
      const e = err as UserException;
      expect(e.code).toBe(1001);
      for (const name of named) expect(e.message).toContain(name);
      expect(logs.lines.some((l) => JSON.stringify(l).includes('Cannot read properties'))).toBe(false);
    },
  );

  it('when a caller sends a field this IDL does not have, then it is ignored as Thrift intends and the call is served', async () => {
    const { result } = await callRaw(
      'ping',
      rawCall('ping', (p) => field(p, 7, T.STRING, () => p.writeString('newer'))),
    );
    expect(result).toBe('pong');
  });
});
