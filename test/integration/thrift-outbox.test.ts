import net from 'node:net';
import type { RunningApp } from '../../src/core/app/app';
import { Outbox } from '../../src/core/rpc/outbox';
import { startTestApp } from '../helpers/app';
import { encodeCall, messageHeaders, rawConnection } from '../helpers/thrift-wire';
import { within } from '../helpers/wait';
import { Client as TandemClient } from '../../thrift/gen-nodejs/Tandem';

/** A connected pair of real sockets: `server` is the accepted side, `client` the connecting one. */
interface SocketPair {
  server: net.Socket;
  client: net.Socket;
  /** What `server.write` was called with, in order. */
  writes: Buffer[];
  /** Everything the client has received so far. */
  received: () => Buffer;
  close: () => Promise<void>;
}

async function socketPair(): Promise<SocketPair> {
  const listener = net.createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const accepted = new Promise<net.Socket>((resolve) => listener.once('connection', resolve));
  const client = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1');
  const chunks: Buffer[] = [];
  client.on('data', (chunk: Buffer) => chunks.push(chunk));
  const server = await accepted;
  const writes: Buffer[] = [];
  // Observe the real socket's writes; each still goes to the kernel.
  const write = server.write.bind(server);
  server.write = (chunk: Buffer): boolean => {
    writes.push(Buffer.from(chunk));
    return write(chunk);
  };
  return {
    server,
    client,
    writes,
    received: () => Buffer.concat(chunks),
    close: async () => {
      client.destroy();
      server.destroy();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Outbox: the replies of one event-loop turn leave together', () => {
  let pairs: SocketPair[] = [];
  afterEach(async () => {
    await Promise.all(pairs.map((pair) => pair.close()));
    pairs = [];
  });

  it('writes the replies queued in one turn after it, in one write, in order', async () => {
    const pair = await socketPair();
    pairs.push(pair);
    const outbox = new Outbox(pair.server);
    outbox.push(Buffer.from('one;'));
    outbox.push(Buffer.from('two;'));
    outbox.push(Buffer.from('three;'));
    expect(pair.writes).toHaveLength(0);
    await nextTurn();
    expect(pair.writes.map((w) => w.toString())).toEqual(['one;two;three;']);
    await within(
      (async () => {
        while (pair.received().length < 14) await new Promise((r) => setTimeout(r, 5));
      })(),
      5000,
      'the client receiving the replies',
    );
    expect(pair.received().toString()).toBe('one;two;three;');
  });

  it('writes once per connection when several connections have replies in the same turn', async () => {
    const a = await socketPair();
    const b = await socketPair();
    pairs.push(a, b);
    const outboxA = new Outbox(a.server);
    const outboxB = new Outbox(b.server);
    outboxA.push(Buffer.from('a1;'));
    outboxB.push(Buffer.from('b1;'));
    outboxA.push(Buffer.from('a2;'));
    await nextTurn();
    expect(a.writes.map((w) => w.toString())).toEqual(['a1;a2;']);
    expect(b.writes.map((w) => w.toString())).toEqual(['b1;']);
    // A later turn's replies are a write of their own.
    outboxB.push(Buffer.from('b2;'));
    await nextTurn();
    expect(b.writes.map((w) => w.toString())).toEqual(['b1;', 'b2;']);
  });

  it('sends at once on send(), and writes nothing after drop() or once the socket is gone', async () => {
    const pair = await socketPair();
    pairs.push(pair);
    const outbox = new Outbox(pair.server);
    outbox.push(Buffer.from('now;'));
    outbox.send();
    expect(pair.writes.map((w) => w.toString())).toEqual(['now;']);
    outbox.push(Buffer.from('dropped;'));
    outbox.drop();
    await nextTurn();
    expect(pair.writes).toHaveLength(1);
    outbox.push(Buffer.from('too late;'));
    pair.server.destroy();
    await nextTurn();
    expect(pair.writes).toHaveLength(1);
  });

  it('when the write of one connection throws, then only that connection is dropped and the others are still written', async () => {
    const broken = await socketPair();
    const healthy = await socketPair();
    pairs.push(broken, healthy);
    broken.server.write = (): boolean => {
      throw new Error('write failed');
    };
    const brokenOutbox = new Outbox(broken.server);
    const healthyOutbox = new Outbox(healthy.server);
    brokenOutbox.push(Buffer.from('lost;'));
    healthyOutbox.push(Buffer.from('kept;'));
    await nextTurn();
    expect(healthy.writes.map((w) => w.toString())).toEqual(['kept;']);
    expect(broken.server.destroyed).toBe(true);
    // The next turn's replies are still scheduled and written.
    healthyOutbox.push(Buffer.from('later;'));
    await nextTurn();
    expect(healthy.writes.map((w) => w.toString())).toEqual(['kept;', 'later;']);
  });

  it('writes nothing, and raises no error, once the socket has been ended', async () => {
    const pair = await socketPair();
    pairs.push(pair);
    const errors: Error[] = [];
    pair.server.on('error', (err) => errors.push(err));
    const outbox = new Outbox(pair.server);
    pair.server.end();
    outbox.push(Buffer.from('after the end;'));
    await nextTurn();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pair.writes).toHaveLength(0);
    expect(errors).toEqual([]);
  });
});

/** The framed binary bytes of a ping() call with this sequence id. */
const pingCall = (seqid: number): Buffer => encodeCall(TandemClient, 'ping', [], seqid);

describe('the Thrift server with calls sent together', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.stop();
  });

  it('answers three calls sent in one write in order, in one write', async () => {
    const { socket, chunks } = await rawConnection(app.thrift.port);
    // The server's writes on this connection (the app runs in this process): observed, still sent.
    const writes = jest.spyOn(net.Socket.prototype, 'write');
    const toThisClient = (): number =>
      writes.mock.contexts.filter((s) => (s as net.Socket).remotePort === socket.localPort).length;
    try {
      socket.write(Buffer.concat([pingCall(1), pingCall(2), pingCall(3)]));
      await within(
        (async () => {
          while (messageHeaders(Buffer.concat(chunks)).length < 3) await new Promise((r) => setTimeout(r, 5));
        })(),
        5000,
        'three replies',
      );
      const REPLY = 2;
      expect(messageHeaders(Buffer.concat(chunks))).toEqual([
        { type: REPLY, seqid: 1 },
        { type: REPLY, seqid: 2 },
        { type: REPLY, seqid: 3 },
      ]);
      expect(toThisClient()).toBe(1);
    } finally {
      writes.mockRestore();
      socket.destroy();
    }
  });

  it('answers the calls that came before a bad frame in the same write, then closes the connection', async () => {
    const { socket, chunks, closed } = await rawConnection(app.thrift.port);
    try {
      // A frame length of 0 is garbage: the connection is closed for it, after the first call is answered.
      socket.write(Buffer.concat([pingCall(1), Buffer.from([0, 0, 0, 0])]));
      await within(closed, 5000, 'the server closing the connection');
      expect(messageHeaders(Buffer.concat(chunks))).toEqual([{ type: 2, seqid: 1 }]);
    } finally {
      socket.destroy();
    }
  });
});
