import net from 'node:net';
import type { RunningApp } from '../../src/core/app/app';
import { ServerException, UserException } from '../../thrift/gen-nodejs/tandem_types';
import { probeModules } from '../fixtures/probe-app';
import { Client as ProbeClient } from '../fixtures/thrift/gen-nodejs/Probe';
import { baseUrl, startTestApp } from '../helpers/app';
import { captureLogs } from '../helpers/log-capture';
import { type ConnectedClient, thriftClient } from '../helpers/thrift-client';
import { deferred, type Deferred, waitFor, within } from '../helpers/wait';

/**
 * Overload sheds, it does not queue (docs/resilience.md, Shedding): with a
 * door at its in-flight limit, the next request is answered 503 with code
 * 102 and Retry-After (HTTP) or ServerException 102 (Thrift) while the slow
 * ones are still held, and /ping, /health and /metrics still answer; with
 * the event loop stalled, the requests read right after are shed, and
 * requests are admitted again once it catches up.
 */

/** Slow probe calls wait on `release`; `entered()` resolves once one more of them has reached its handler. */
function holdingProbe(): {
  modules: ReturnType<typeof probeModules>;
  entered: () => Promise<void>;
  release: Deferred<void>;
} {
  const release = deferred();
  let started = 0;
  let awaited = 0;
  const modules = probeModules({
    slow: () => {
      started += 1;
      return release.promise;
    },
  });
  return {
    modules,
    release,
    entered: async () => {
      awaited += 1;
      const n = awaited;
      await waitFor(() => (started >= n ? true : undefined), 5000, `slow call ${n} reaching its handler`);
    },
  };
}

/** The value of one series of tandem_shed_total in a /metrics page, 0 when absent. */
function shedCount(metrics: string, door: string, reason: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`tandem_shed_total{door="${door}",reason="${reason}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** What a call rejects with; fails the test if it resolves. */
async function rejection(call: Promise<unknown>): Promise<unknown> {
  try {
    await within(call, 5000, 'the Thrift call');
  } catch (err) {
    return err;
  }
  throw new Error('the call succeeded where an exception was expected');
}

/** Blocks this process's event loop (the app's too: it runs in-process) for `ms`. */
function stallLoop(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // Busy: nothing else runs, as with a long synchronous task in a handler.
  }
}

/** An open HTTP/1.1 connection that sends a GET as one write and resolves with the status line's code. */
async function rawHttp(port: number): Promise<{ get: (path: string) => Promise<number>; close: () => void }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return {
    get: (path) => {
      const status = new Promise<number>((resolve, reject) => {
        let text = '';
        const onData = (chunk: Buffer): void => {
          text += chunk.toString('latin1');
          const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
          if (match && text.includes('\r\n\r\n')) {
            socket.off('data', onData);
            resolve(Number(match[1]));
          }
        };
        socket.on('data', onData);
        socket.once('error', reject);
      });
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      return status;
    },
    close: () => socket.destroy(),
  };
}

describe('an HTTP door at http.max_in_flight', () => {
  const hold = holdingProbe();
  let app: RunningApp;

  beforeAll(async () => {
    app = await startTestApp({ http: { max_in_flight: 2 } }, hold.modules);
    captureLogs();
  });

  afterAll(async () => {
    hold.release.resolve();
    await app.stop();
  });

  it('when two slow requests are held, then the third is answered 503 code 102 with Retry-After while they wait, and health still answers', async () => {
    const url = baseUrl(app);
    const first = fetch(`${url}/probe/slow`);
    await within(hold.entered(), 5000, 'the first slow request reaching its handler');
    const second = fetch(`${url}/probe/slow`);
    await within(hold.entered(), 5000, 'the second slow request reaching its handler');

    const shed = await within(fetch(`${url}/probe/items/7`), 5000, 'the third request');
    const body = (await shed.json()) as { code: number; data: unknown; request_id: string };
    const ping = await within(fetch(`${url}/ping`), 5000, '/ping');
    const health = await within(fetch(`${url}/health`), 5000, '/health');
    const metrics = await within(fetch(`${url}/metrics`), 5000, '/metrics');
    const metricsText = await metrics.text();

    expect(shed.status).toBe(503);
    expect(shed.headers.get('retry-after')).toBe('1');
    expect(body).toMatchObject({ code: 102, data: null });
    expect(shed.headers.get('x-request-id')).toBe(body.request_id);
    expect(ping.status).toBe(200);
    expect([200, 503]).toContain(health.status);
    expect((await health.json()) as { code: number }).not.toMatchObject({ code: 102 });
    expect(metrics.status).toBe(200);
    expect(shedCount(metricsText, 'http', 'door')).toBeGreaterThanOrEqual(1);

    hold.release.resolve();
    const [a, b] = await within(Promise.all([first, second]), 5000, 'the held requests');
    expect([a.status, b.status]).toEqual([200, 200]);
    const after = await within(fetch(`${url}/probe/items/7`), 5000, 'a request after the slow ones ended');
    expect(after.status).toBe(200);
  });
});

describe('a Thrift door at thrift.max_in_flight', () => {
  const hold = holdingProbe();
  let app: RunningApp;
  let probe: ConnectedClient<ProbeClient>;

  beforeAll(async () => {
    app = await startTestApp({ thrift: { max_in_flight: 2 } }, hold.modules);
    captureLogs();
    probe = await thriftClient(ProbeClient, app.thrift.port);
  });

  afterAll(async () => {
    hold.release.resolve();
    probe.close();
    await app.stop();
  });

  it('when two slow calls are held, then the third is ServerException 102 before its method runs, and HTTP still answers', async () => {
    const first = probe.client.slow(60000);
    await within(hold.entered(), 5000, 'the first slow call reaching its method');
    const second = probe.client.slow(60000);
    await within(hold.entered(), 5000, 'the second slow call reaching its method');

    // fail('user') would raise a UserException if it ran: a ServerException 102 means it was shed first.
    const err = await rejection(probe.client.fail('user'));
    const metrics = await (await fetch(`${baseUrl(app)}/metrics`)).text();

    expect(err).toBeInstanceOf(ServerException);
    expect(err).toMatchObject({ code: 102 });
    expect(shedCount(metrics, 'thrift', 'door')).toBeGreaterThanOrEqual(1);

    hold.release.resolve();
    expect(await within(Promise.all([first, second]), 5000, 'the held calls')).toEqual(['slept', 'slept']);
    expect(await rejection(probe.client.fail('user'))).toBeInstanceOf(UserException);
  });
});

describe('the event-loop lag guard (server.max_event_loop_lag_ms)', () => {
  let app: RunningApp;
  let probe: ConnectedClient<ProbeClient>;

  beforeAll(async () => {
    app = await startTestApp({ server: { max_event_loop_lag_ms: 250 } }, probeModules());
    captureLogs();
    probe = await thriftClient(ProbeClient, app.thrift.port);
  });

  afterAll(async () => {
    probe.close();
    await app.stop();
  });

  it('when the loop stalls past the limit, then the HTTP request read after it is shed, and requests are admitted once it catches up', async () => {
    const http = await rawHttp(app.http.port);
    const other = await rawHttp(app.http.port);
    try {
      // The requests' bytes are in the server's sockets before the stall: they are read right after it.
      const during = http.get('/probe/items/3');
      const ping = other.get('/ping');
      stallLoop(600);
      expect(await within(during, 5000, 'the request sent into the stall')).toBe(503);
      expect(await within(ping, 5000, '/ping sent into the stall')).toBe(200);

      const admitted = await waitFor(
        async () => ((await http.get('/probe/items/3')) === 200 ? true : undefined),
        5000,
        'a request admitted after the stall',
      );
      expect(admitted).toBe(true);
    } finally {
      http.close();
      other.close();
    }
    const metrics = await (await fetch(`${baseUrl(app)}/metrics`)).text();
    expect(shedCount(metrics, 'http', 'lag')).toBeGreaterThanOrEqual(1);
  });

  it('when the loop stalls past the limit, then the Thrift call read after it is ServerException 102, and calls are admitted once it catches up', async () => {
    const during = rejection(probe.client.fail('user'));
    stallLoop(600);
    const err = await during;

    expect(err).toBeInstanceOf(ServerException);
    expect(err).toMatchObject({ code: 102 });
    await waitFor(
      async () => ((await rejection(probe.client.fail('user'))) instanceof UserException ? true : undefined),
      5000,
      'a call admitted after the stall',
    );
  });
});
