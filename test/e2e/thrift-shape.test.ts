import thrift from 'thrift';
import type { RunningApp } from '../../src/core/app/app';
import { baseUrl, startTestApp } from '../helpers/app';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { tandemClient } from '../helpers/thrift-client';
import { messageHeaders, type RawConnection, rawConnection } from '../helpers/thrift-wire';
import { waitFor, within } from '../helpers/wait';

/**
 * The shape of a message (fields per struct, values, nesting) is checked
 * before the library decodes it, in one synchronous run whose time grows
 * with the count of values: a message past the limits closes its connection
 * (counted as `shape`) without being decoded, and everyone else is served.
 * Each test fails on a server that decodes whatever arrives (it answered the
 * 2,000-field ping, and a frame of millions of one-byte fields held the event
 * loop for seconds).
 */

async function rejected(app: RunningApp, reason: string): Promise<number> {
  const text = await (await fetch(`${baseUrl(app)}/metrics`)).text();
  const match = new RegExp(`^tandem_thrift_connections_rejected_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

function framed(message: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(message.length, 0);
  return Buffer.concat([length, message]);
}

/** A binary CALL header of `name` with seqid `seqid`. */
function binaryHead(name: string, seqid: number): Buffer {
  const head = Buffer.alloc(12 + name.length);
  head.writeUInt32BE(0x80010001, 0);
  head.writeInt32BE(name.length, 4);
  head.write(name, 8);
  head.writeInt32BE(seqid, 8 + name.length);
  return head;
}

/** Binary struct fields: `count` unknown i16 fields with ids from 100 up. */
function binaryI16Fields(count: number): Buffer {
  const body = Buffer.alloc(count * 5);
  for (let i = 0; i < count; i += 1) {
    body.writeUInt8(6, i * 5);
    body.writeInt16BE(100 + (i % 30_000), i * 5 + 1);
    body.writeInt16BE(7, i * 5 + 3);
  }
  return body;
}

/** A binary ping() whose argument struct carries `count` unknown i16 fields. */
function binaryPing(count: number, seqid: number): Buffer {
  return Buffer.concat([binaryHead('ping', seqid), binaryI16Fields(count), Buffer.from([0])]);
}

/** A compact ping() whose argument struct carries `count` one-byte bool fields (each field id one more). */
function compactBoolPing(count: number, seqid: number): Buffer {
  const head = Buffer.from([0x82, 0x21, seqid, 4, ...Buffer.from('ping')]);
  return Buffer.concat([head, Buffer.alloc(count, 0x11), Buffer.from([0])]);
}

/** A binary ping() with `structs` unknown struct fields, each holding `fields` i16 fields. */
function nestedPing(structs: number, fields: number, seqid: number): Buffer {
  const parts = [binaryHead('ping', seqid)];
  for (let i = 0; i < structs; i += 1) {
    const header = Buffer.alloc(3);
    header.writeUInt8(12, 0);
    header.writeInt16BE(100 + i, 1);
    parts.push(header, binaryI16Fields(fields), Buffer.from([0]));
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** A binary ping() with an unknown list<i32> field announcing `size` elements and carrying none. */
function hugeListPing(size: number, seqid: number): Buffer {
  const field = Buffer.alloc(8);
  field.writeUInt8(15, 0);
  field.writeInt16BE(100, 1);
  field.writeUInt8(8, 3);
  field.writeInt32BE(size, 4);
  return Buffer.concat([binaryHead('ping', seqid), field, Buffer.from([0])]);
}

describe('the shape of a Thrift message', () => {
  let app: RunningApp;
  let logs: LogCapture;

  beforeAll(async () => {
    app = await startTestApp({
      thrift: { max_struct_fields: 1024, max_message_values: 10_000, read_timeout_ms: 10_000 },
    });
    logs = captureLogs();
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await app.stop();
  });

  async function expectServed(): Promise<void> {
    const fresh = await tandemClient(app.thrift.port);
    try {
      expect(await within(fresh.client.ping(), 5000, 'ping() on a new connection')).toBe('pong');
    } finally {
      fresh.close();
    }
  }

  /** Sends `bytes` on a new connection and expects it closed with no answer, counted as `shape`. */
  async function expectRefused(bytes: Buffer): Promise<RawConnection> {
    const before = await rejected(app, 'shape');
    const raw = await rawConnection(app.thrift.port);
    raw.socket.write(bytes);
    const answer = await within(raw.closed, 5000, 'the connection closed');
    expect(answer).toHaveLength(0);
    expect(await rejected(app, 'shape')).toBe(before + 1);
    return raw;
  }

  it('when a framed binary ping() carries 1,000 unknown i16 fields, then it is answered (within max_struct_fields 1024)', async () => {
    const raw = await rawConnection(app.thrift.port);
    raw.socket.write(framed(binaryPing(1000, 4)));
    await waitFor(() => (raw.chunks.length > 0 ? true : undefined), 5000, 'the reply');
    expect(messageHeaders(Buffer.concat(raw.chunks))).toEqual([{ type: thrift.Thrift.MessageType.REPLY, seqid: 4 }]);
    raw.socket.destroy();
  });

  it('when a framed binary ping() carries 2,000 unknown i16 fields, then its connection is closed unanswered, counted as shape, logged naming the limit, and others are served', async () => {
    await expectRefused(framed(binaryPing(2000, 5)));
    const line = await logs.find((l) => l.message === 'thrift connection closed' && l.reason === 'shape');
    expect(line.detail).toBe('a struct with more than 1024 fields');
    await expectServed();
  });

  it('when an unframed binary ping() carries 2,000 unknown i16 fields, then it is refused as it arrives', async () => {
    await expectRefused(binaryPing(2000, 6));
  });

  it('when a framed compact ping() carries 3,000,000 one-byte bool fields (3 MB), then it is refused without being decoded', async () => {
    const decodes = jest.spyOn(thrift.TCompactProtocol.prototype, 'readFieldBegin');
    await expectRefused(framed(compactBoolPing(3_000_000, 7)));
    expect(decodes).not.toHaveBeenCalled();
    decodes.mockRestore();
    await expectServed();
  });

  it('when a ping() nests 12 unknown structs of 900 fields each (10,812 values), then it is refused for the count of values', async () => {
    await expectRefused(framed(nestedPing(12, 900, 8)));
  });

  it('when an unknown list announces 1,000,000 elements, then it is refused at its head', async () => {
    await expectRefused(framed(hugeListPing(1_000_000, 9)));
  });

  it('when a ping() carries an unknown 1 MiB string field, then it is answered and the string is skipped as bytes, never decoded as text', async () => {
    const field = Buffer.alloc(7);
    field.writeUInt8(11, 0);
    field.writeInt16BE(100, 1);
    field.writeInt32BE(1024 * 1024, 3);
    const message = Buffer.concat([binaryHead('ping', 10), field, Buffer.alloc(1024 * 1024, 0x61), Buffer.from([0])]);
    const texts = jest.spyOn(Buffer.prototype, 'toString');
    const raw = await rawConnection(app.thrift.port);
    raw.socket.write(framed(message));
    await waitFor(() => (raw.chunks.length > 0 ? true : undefined), 5000, 'the reply');
    expect(messageHeaders(Buffer.concat(raw.chunks))).toEqual([{ type: thrift.Thrift.MessageType.REPLY, seqid: 10 }]);
    // Strings are decoded with Buffer#toString: none of the 1 MiB one.
    const decoded = texts.mock.contexts.filter((buf) => (buf as Buffer).length === 1024 * 1024);
    expect(decoded).toHaveLength(0);
    expect(texts).toHaveBeenCalled();
    texts.mockRestore();
    raw.socket.destroy();
  });
});
