import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Int64 from 'node-int64';
import thrift from 'thrift';
import type { RunningApp } from '../../src/core/app/app';
import { baseUrl, startTestApp } from '../helpers/app';
import { captureLogs } from '../helpers/log-capture';
import { within } from '../helpers/wait';
import { Client as TandemClient } from '../../thrift/gen-nodejs/Tandem';
import { AuthException, UserException } from '../../thrift/gen-nodejs/tandem_types';

/**
 * TLS on the Thrift port, with certificates this test makes with openssl: a
 * CA, the server's, a client's signed by the CA (CN order-service), and one
 * signed by a CA the server does not trust. Callers are named by their
 * certificate, or by hello when they have none, and thrift.callers limits
 * what each may call.
 */

const missing = spawnSync('openssl', ['version']).error ? 'openssl cannot be run' : undefined;
if (missing) process.stderr.write(`thrift-tls.test.ts: skipping: ${missing}.\n`);
const describeTls = missing ? describe.skip : describe;

interface Pem {
  key: string;
  cert: string;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-tls-'));
const file = (name: string): string => path.join(dir, name);

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}

/** A key and a certificate for `cn` signed by the CA `ca` (self-signed when none). */
function certificate(name: string, cn: string, ca?: Pem, serverName?: string): Pem {
  const pem = { key: file(`${name}.key`), cert: file(`${name}.crt`) };
  if (!ca) {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      pem.key,
      '-out',
      pem.cert,
      '-days',
      '2',
      '-subj',
      `/CN=${cn}`,
    );
    return pem;
  }
  const csr = file(`${name}.csr`);
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', pem.key, '-out', csr, '-subj', `/CN=${cn}`);
  const ext = file(`${name}.ext`);
  fs.writeFileSync(ext, serverName ? `subjectAltName=IP:${serverName}\n` : 'extendedKeyUsage=clientAuth\n');
  openssl(
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-out',
    pem.cert,
    '-days',
    '2',
    '-extfile',
    ext,
  );
  return pem;
}

let ca: Pem;
let server: Pem;
let client: Pem;
let stranger: Pem;
if (!missing) {
  ca = certificate('ca', 'tandem test CA');
  server = certificate('server', 'tandem', ca, '127.0.0.1');
  client = certificate('client', 'order-service', ca);
  const otherCa = certificate('other-ca', 'someone else');
  stranger = certificate('stranger', 'order-service', otherCa);
}

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface TlsClient {
  client: TandemClient;
  close: () => void;
}

async function tlsClient(port: number, identity?: Pem, framed = true): Promise<TlsClient> {
  const options = {
    transport: framed ? thrift.TFramedTransport : thrift.TBufferedTransport,
    protocol: framed ? thrift.TBinaryProtocol : thrift.TCompactProtocol,
    ca: fs.readFileSync(ca.cert),
    ...(identity ? { key: fs.readFileSync(identity.key), cert: fs.readFileSync(identity.cert) } : {}),
  };
  const connection = thrift.createSSLConnection('127.0.0.1', port, options);
  await within(
    new Promise<void>((resolve, reject) => {
      connection.once('connect', () => resolve());
      connection.once('error', reject);
    }),
    5000,
    'the TLS connection',
  );
  connection.on('error', () => undefined);
  return { client: thrift.createClient(TandemClient, connection), close: () => connection.end() };
}

async function rejected(app: RunningApp, reason: string): Promise<number> {
  const text = await (await fetch(`${baseUrl(app)}/metrics`)).text();
  const match = new RegExp(`^tandem_thrift_connections_rejected_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

/** list_cs_events_by_user with page 0: refused by validation (1001) before any query, once the caller may call it. */
async function listAnswer(c: TandemClient): Promise<unknown> {
  return c.list_cs_events_by_user(new Int64(1), 0, 10).catch((err: unknown) => err);
}

describeTls('with thrift.tls and thrift.callers', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startTestApp({
      thrift: {
        tls: { key: server.key, cert: server.cert, ca: ca.cert, require_client_cert: false },
        callers: { 'order-service': ['list_cs_events_by_user'], 'risk-service': ['get_risk_verdict'] },
      },
    });
    captureLogs();
  });

  afterAll(async () => {
    await app.stop();
  });

  it('when a client with a certificate signed by the CA (CN order-service) calls a method it may, then it is served', async () => {
    const c = await tlsClient(app.thrift.port, client);
    try {
      expect(await c.client.ping()).toBe('pong');
      const answer = await listAnswer(c.client);
      expect(answer).toBeInstanceOf(UserException);
      expect((answer as UserException).code).toBe(1001);
    } finally {
      c.close();
    }
  });

  it('when it calls a method thrift.callers does not give it, then AuthException 953 names it and the method', async () => {
    const c = await tlsClient(app.thrift.port, client);
    try {
      const answer = await c.client.get_risk_verdict(new Int64(1)).catch((err: unknown) => err);
      expect(answer).toBeInstanceOf(AuthException);
      expect((answer as AuthException).code).toBe(953);
      expect((answer as AuthException).message).toContain('order-service may not call get_risk_verdict');
    } finally {
      c.close();
    }
  });

  it('when its certificate says order-service, then hello cannot make it risk-service', async () => {
    const c = await tlsClient(app.thrift.port, client);
    try {
      await c.client.hello('risk-service');
      const answer = await c.client.get_risk_verdict(new Int64(1)).catch((err: unknown) => err);
      expect((answer as AuthException).code).toBe(953);
    } finally {
      c.close();
    }
  });

  it('when a client without a certificate calls, then ping is served, and other methods only for the name it gave in hello', async () => {
    const c = await tlsClient(app.thrift.port, undefined, false);
    try {
      expect(await c.client.ping()).toBe('pong');
      expect(((await listAnswer(c.client)) as AuthException).code).toBe(953);
      await c.client.hello('order-service');
      expect(((await listAnswer(c.client)) as UserException).code).toBe(1001);
    } finally {
      c.close();
    }
  });

  it('when a client speaks plain Thrift to the TLS port, then its connection is closed and counted as tls', async () => {
    const before = await rejected(app, 'tls');
    const socket = net.connect(app.thrift.port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(Buffer.from([0, 0, 0, 20, 0x80, 0x01, 0, 1]));
    await within(new Promise((resolve) => socket.once('close', resolve)), 5000, 'the server closing the connection');
    expect(await rejected(app, 'tls')).toBe(before + 1);
  });
});

describeTls('with thrift.tls.require_client_cert', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startTestApp({
      thrift: { tls: { key: server.key, cert: server.cert, ca: ca.cert, require_client_cert: true } },
    });
    captureLogs();
  });

  afterAll(async () => {
    await app.stop();
  });

  it('when a client has a certificate signed by the CA, then it is served (framed binary and unframed compact)', async () => {
    for (const framed of [true, false]) {
      const c = await tlsClient(app.thrift.port, client, framed);
      try {
        expect(await c.client.ping()).toBe('pong');
      } finally {
        c.close();
      }
    }
  });

  it.each([
    ['no certificate', undefined],
    ['a certificate from a CA the server does not trust', 'stranger'],
  ])('when a client has %s, then it is refused and counted as tls', async (_what, which) => {
    const before = await rejected(app, 'tls');
    const refused = await tlsClient(app.thrift.port, which ? stranger : undefined)
      .then(async (c) => {
        // TLS 1.3 completes the client's side before the server checks its certificate: the first call fails.
        const outcome = await within(c.client.ping(), 5000, 'ping()').then(
          () => false,
          () => true,
        );
        c.close();
        return outcome;
      })
      .catch(() => true);
    expect(refused).toBe(true);
    expect(await rejected(app, 'tls')).toBe(before + 1);
  });
});

describeTls('with thrift.tls and a frozen client', () => {
  const READ_TIMEOUT_MS = 400;
  let app: RunningApp;

  beforeAll(async () => {
    app = await startTestApp({
      thrift: {
        read_timeout_ms: READ_TIMEOUT_MS,
        tls: { key: server.key, cert: server.cert, ca: ca.cert, require_client_cert: false },
      },
    });
    captureLogs();
  });

  afterAll(async () => {
    await app.stop();
  });

  // A handshake never finished holds no Thrift connection yet, so neither idle_timeout_ms nor
  // max_connections sees it: the handshake's own deadline (read_timeout_ms) is all that closes it.
  it.each([
    ['connects and sends nothing', Buffer.alloc(0)],
    ['sends the start of a ClientHello and stops', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])],
  ])(
    'when a client %s, then the server closes it after thrift.read_timeout_ms and counts it as tls',
    async (what, bytes) => {
      const before = await rejected(app, 'tls');
      const socket = net.connect(app.thrift.port, '127.0.0.1');
      socket.on('error', () => undefined);
      const startedAt = Date.now();
      if (bytes.length > 0) socket.write(bytes);

      await within(new Promise((resolve) => socket.once('close', resolve)), 5000, 'the server closing the connection');

      // The figure, not asserted (tests never assert speed): how long the frozen client was held.
      process.stderr.write(
        `thrift-tls.test.ts: a client that ${what} was closed after ${Date.now() - startedAt} ms (read_timeout_ms ${READ_TIMEOUT_MS}).\n`,
      );
      expect(await rejected(app, 'tls')).toBe(before + 1);
    },
  );
});

describeTls('with thrift.tls, no read deadline, and a frozen client at shutdown', () => {
  it('when the app stops while a client has not finished its handshake, then the stop closes it and returns', async () => {
    // read_timeout_ms 0 leaves the handshake Node's own 120 s: only the shutdown can close this client.
    const app = await startTestApp({
      thrift: {
        read_timeout_ms: 0,
        tls: { key: server.key, cert: server.cert, ca: ca.cert, require_client_cert: false },
      },
    });
    captureLogs();
    const socket = net.connect(app.thrift.port, '127.0.0.1');
    socket.on('error', () => undefined);
    const socketClosed = new Promise((resolve) => socket.once('close', resolve));
    await within(new Promise((resolve) => socket.once('connect', resolve)), 5000, 'the connection');

    const startedAt = Date.now();
    await within(app.stop(), 10_000, 'the app stopping');
    await within(socketClosed, 1000, 'the frozen client being closed');

    process.stderr.write(`thrift-tls.test.ts: the stop with a frozen TLS client took ${Date.now() - startedAt} ms.\n`);
  });
});
