import net from 'node:net';
import type { RunningApp } from '../../src/core/app/app';
import { baseUrl, startTestApp } from '../helpers/app';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { type ConnectedClient, tandemClient } from '../helpers/thrift-client';
import { rawConnection } from '../helpers/thrift-wire';
import { within } from '../helpers/wait';
import type { Client as TandemClient } from '../../thrift/gen-nodejs/Tandem';

const MAX_FRAME = 2048;

let app: RunningApp;
let logs: LogCapture;
/** A well-behaved client connected before the misbehaving ones, used after each of them. */
let bystander: ConnectedClient<TandemClient>;

beforeAll(async () => {
  app = await startTestApp({ thrift: { max_frame_bytes: MAX_FRAME } });
  logs = captureLogs();
  bystander = await tandemClient(app.thrift.port);
});

afterAll(async () => {
  bystander.close();
  await app.stop();
});

/** tandem_thrift_connections_rejected_total for `reason`, read from GET /metrics. */
async function rejected(reason: string): Promise<number> {
  const text = await (await fetch(`${baseUrl(app)}/metrics`)).text();
  const match = new RegExp(`^tandem_thrift_connections_rejected_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

async function expectOthersStillServed(): Promise<void> {
  expect(await within(bystander.client.ping(), 5000, 'ping() on the bystander connection')).toBe('pong');
  const fresh = await tandemClient(app.thrift.port, { framed: false });
  try {
    expect(await within(fresh.client.ping(), 5000, 'ping() on a new connection')).toBe('pong');
  } finally {
    fresh.close();
  }
}

/** A framed binary CALL header: frame length, then version word and type CALL. */
function framedHeader(frameLength: number): Buffer {
  const head = Buffer.alloc(8);
  head.writeInt32BE(frameLength, 0);
  head.writeUInt32BE(0x80010001, 4);
  return head;
}

it('when a client sends an HTTP request to the Thrift port, then only its connection is closed and it is counted', async () => {
  const before = await rejected('garbage');
  const raw = await rawConnection(app.thrift.port);

  raw.socket.write('GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n');

  const answer = await within(raw.closed, 5000, 'the server closing the garbage connection');
  expect(answer.length).toBe(0);
  expect(await rejected('garbage')).toBe(before + 1);
  await logs.find((l) => l.message === 'thrift connection closed' && l.reason === 'garbage');
  await expectOthersStillServed();
});

it('when 20 clients in a row send bytes that are not Thrift, then all 20 are counted, one line is written, and others are still served', async () => {
  const N = 20;
  const before = await rejected('garbage');

  for (let i = 0; i < N; i += 1) {
    const raw = await rawConnection(app.thrift.port);
    raw.socket.write('GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await within(raw.closed, 5000, `the server closing garbage connection ${i + 1}`);
  }

  expect(await rejected('garbage')).toBe(before + N);
  // One line a minute per reason: the capture began with this file, so whatever garbage came before, one line in all.
  const lines = logs.lines.filter((l) => l.message === 'thrift connection closed' && l.reason === 'garbage');
  expect(lines).toHaveLength(1);
  expect(lines[0]?.level).toBe('warn');
  await expectOthersStillServed();
});

it('when a frame announces more than thrift.max_frame_bytes, then its connection is closed before the body arrives', async () => {
  const before = await rejected('oversize');
  const raw = await rawConnection(app.thrift.port);

  raw.socket.write(framedHeader(MAX_FRAME + 1));

  await within(raw.closed, 5000, 'the server closing the oversize connection');
  expect(await rejected('oversize')).toBe(before + 1);
  await expectOthersStillServed();
});

it('when an unframed message grows beyond thrift.max_frame_bytes, then its connection is closed', async () => {
  const before = await rejected('oversize');
  const raw = await rawConnection(app.thrift.port);
  // A CALL whose method name claims 1 MiB: the message can never complete within the limit.
  const head = Buffer.alloc(8);
  head.writeUInt32BE(0x80010001, 0);
  head.writeInt32BE(1024 * 1024, 4);

  raw.socket.write(Buffer.concat([head, Buffer.alloc(MAX_FRAME, 0x61)]));

  await within(raw.closed, 5000, 'the server closing the unframed oversize connection');
  expect(await rejected('oversize')).toBe(before + 1);
  await expectOthersStillServed();
});

it('when a complete frame holds bytes the protocol cannot read, then its connection is closed and counted', async () => {
  const before = await rejected('malformed');
  const raw = await rawConnection(app.thrift.port);
  const body = Buffer.alloc(8);
  body.writeInt32BE(0x7fffffff, 0); // a method name longer than the frame
  body.write('ping', 4);

  raw.socket.write(Buffer.concat([framedHeader(4 + body.length), body]));

  await within(raw.closed, 5000, 'the server closing the malformed connection');
  expect(await rejected('malformed')).toBe(before + 1);
  await expectOthersStillServed();
});

it('when a client disconnects in the middle of a frame, then the server goes on serving', async () => {
  const raw = await rawConnection(app.thrift.port);

  raw.socket.write(Buffer.concat([framedHeader(200), Buffer.from('half a message')]));
  raw.socket.destroy();
  await raw.closed;

  await expectOthersStillServed();
});

it('when a client resets its connection while its call is being answered, then the server goes on serving', async () => {
  const victim = await tandemClient(app.thrift.port);
  const pending = victim.client.ping();
  pending.catch(() => undefined);

  victim.connection.destroy();

  await expectOthersStillServed();
});

describe('with thrift.allowed_networks set', () => {
  let limited: RunningApp;

  beforeAll(async () => {
    limited = await startTestApp({ thrift: { allowed_networks: ['10.0.0.0/8', '::1/128'] } });
    captureLogs();
  });

  afterAll(async () => {
    await limited.stop();
  });

  it('when a client connects from outside those networks, then its connection is closed at once and counted', async () => {
    const before = await rejected('not_allowed');
    const socket = net.connect(limited.thrift.port, '127.0.0.1');
    socket.on('error', () => undefined);

    await within(new Promise((resolve) => socket.once('close', resolve)), 5000, 'the server closing the connection');

    expect(await rejected('not_allowed')).toBe(before + 1);
  });
});
