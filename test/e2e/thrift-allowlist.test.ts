import net from 'node:net';
import type { RunningApp } from '../../src/core/app/app';
import { prom } from '../../src/core/monitor';
import { startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { tandemClient } from '../helpers/thrift-client';
import { encodeCall } from '../helpers/thrift-wire';
import { within } from '../helpers/wait';
import { Client as TandemClient } from '../../thrift/gen-nodejs/Tandem';

/**
 * The Thrift port limited to thrift.allowed_networks, and the caller's
 * service name from hello() on each access line. On Linux the whole of
 * 127.0.0.0/8 is loopback: a client that binds its end to 127.0.0.2 reaches
 * the server on 127.0.0.1 from an address outside 127.0.0.1/32. The `thrift`
 * npm client cannot choose its local address, so that client is a raw socket
 * sending a framed binary ping().
 */

let app: RunningApp;
let db: { database: string; drop: () => Promise<void> };
let logs: LogCapture;

beforeAll(async () => {
  db = await freshDatabase();
  app = await startTestApp({
    mysql: { database: db.database },
    redis: { key_prefix: freshRedisPrefix() },
    thrift: { host: '127.0.0.1', allowed_networks: ['127.0.0.1/32'] },
    log: { level: 'info', access: true },
  });
  logs = captureLogs();
});

afterAll(async () => {
  await app.stop();
  await db.drop();
});

/** Connects from `localAddress`, sends a ping, and resolves with what came back when the server closed or answered. */
async function rawPing(localAddress: string): Promise<{ closedByServer: boolean; received: Buffer }> {
  const socket = net.connect({ port: app.thrift.port, host: '127.0.0.1', localAddress });
  socket.on('error', () => undefined);
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  expect(socket.localAddress).toBe(localAddress);
  socket.write(encodeCall(TandemClient, 'ping', [], 1));
  const outcome = await within(
    new Promise<boolean>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        // A whole frame came back: the server answered.
        const all = Buffer.concat(chunks);
        if (all.length >= 4 && all.length >= 4 + all.readInt32BE(0)) resolve(false);
      });
      socket.once('close', () => resolve(true));
    }),
    5000,
    `an answer or a close for a client at ${localAddress}`,
  );
  socket.destroy();
  return { closedByServer: outcome, received: Buffer.concat(chunks) };
}

async function rejectedNotAllowed(): Promise<number> {
  const metric = await prom.thriftRejected.get();
  return metric.values.find((v) => v.labels.reason === 'not_allowed')?.value ?? 0;
}

describe('thrift.allowed_networks', () => {
  it('when a client connects from 127.0.0.2, outside 127.0.0.1/32, then its connection is closed unanswered and counted as not_allowed', async () => {
    const before = await rejectedNotAllowed();

    const result = await rawPing('127.0.0.2');

    expect(result).toEqual({ closedByServer: true, received: Buffer.alloc(0) });
    expect(await rejectedNotAllowed()).toBe(before + 1);
    const line = await logs.find((l) => l.message === 'thrift connection closed' && l.reason === 'not_allowed');
    expect(String(line.remote)).toContain('127.0.0.2');
  });

  it('when the same bytes come from 127.0.0.1, then they are answered and nothing is counted', async () => {
    const before = await rejectedNotAllowed();

    const result = await rawPing('127.0.0.1');

    expect(result.closedByServer).toBe(false);
    expect(result.received.includes(Buffer.from('pong'))).toBe(true);
    expect(await rejectedNotAllowed()).toBe(before);
  });

  it('when the thrift npm client connects from 127.0.0.1, then ping() answers pong', async () => {
    const { client, close } = await tandemClient(app.thrift.port);
    try {
      expect(await within(client.ping(), 5000, 'ping()')).toBe('pong');
    } finally {
      close();
    }
  });
});

describe('the caller of a Thrift connection', () => {
  it('when a sibling says hello with its service name, then each later call on that connection is logged with it', async () => {
    const { client, close } = await tandemClient(app.thrift.port);
    try {
      await within(client.hello('order-service'), 5000, 'hello()');
      await within(client.ping(), 5000, 'ping()');
    } finally {
      close();
    }

    const line = await logs.find(
      (l) => l.message === 'thrift access' && l.method === 'ping' && l.caller === 'order-service',
    );
    expect(line).toMatchObject({ outcome: 'ok' });
  });

  it('when a connection never says hello, then its calls are logged without a caller', async () => {
    const { client, close } = await tandemClient(app.thrift.port);
    const before = logs.lines.length;
    try {
      await within(client.ping(), 5000, 'ping()');
    } finally {
      close();
    }

    const line = await logs.find(
      (l) => logs.lines.indexOf(l) >= before && l.message === 'thrift access' && l.method === 'ping',
    );
    expect(line.caller).toBeUndefined();
  });

  it('when hello names the service with characters outside letters, digits, dots, dashes and underscores, then UserException 1000', async () => {
    const { client, close } = await tandemClient(app.thrift.port);
    try {
      await expect(client.hello('order service; drop')).rejects.toMatchObject({ code: 1000 });
    } finally {
      close();
    }
  });
});
