import net from 'node:net';
import type { RunningApp } from '../../src/core/app/app';
import { probeModules } from '../fixtures/probe-app';
import { Client as ProbeClient } from '../fixtures/thrift/gen-nodejs/Probe';
import { baseUrl, startTestApp } from '../helpers/app';
import { captureLogs } from '../helpers/log-capture';
import { thriftClient } from '../helpers/thrift-client';
import { deferred, within } from '../helpers/wait';

/** Resolves with the error code of a TCP connect to the port: ECONNREFUSED once nothing listens. */
function connectError(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe('stop() with a slow HTTP request and a slow Thrift call in flight', () => {
  const entered: (() => void)[] = [];
  const release = deferred();
  let app: RunningApp;
  let stopped = false;
  let preparedClosed = false;

  beforeAll(async () => {
    app = await startTestApp(
      { server: { shutdown_timeout_ms: 20000 } },
      probeModules({
        slow: () => {
          entered.shift()?.();
          return release.promise;
        },
        closePrepared: () => {
          preparedClosed = true;
        },
      }),
    );
    captureLogs();
  });

  afterAll(async () => {
    release.resolve();
    if (!stopped) await app.stop();
  });

  it('when stop() is called, then both finish with success and new connections are refused', async () => {
    const httpEntered = deferred();
    const thriftEntered = deferred();
    entered.push(httpEntered.resolve, thriftEntered.resolve);
    const slowHttp = fetch(`${baseUrl(app)}/probe/slow`);
    await within(httpEntered.promise, 5000, 'the slow HTTP request reaching its handler');
    const probe = await thriftClient(ProbeClient, app.thrift.port);
    const slowThrift = probe.client.slow(60000);
    await within(thriftEntered.promise, 5000, 'the slow Thrift call reaching its handler');

    const stopping = app.stop();
    const refused = await Promise.all([connectError(app.http.port), connectError(app.thrift.port)]);
    // What the domains hold (queues, clients, stores) stays open while requests are in flight.
    const closedWhileInFlight = preparedClosed;
    release.resolve();
    const [httpRes, thriftAnswer] = await within(Promise.all([slowHttp, slowThrift]), 10000, 'the in-flight work');
    await within(stopping, 10000, 'stop()');
    stopped = true;

    expect(refused).toEqual(['ECONNREFUSED', 'ECONNREFUSED']);
    expect(closedWhileInFlight).toBe(false);
    expect(preparedClosed).toBe(true);
    expect(httpRes.status).toBe(200);
    expect(await httpRes.json()).toEqual({ code: 0, msg: 'ok', data: 'slept' });
    expect(thriftAnswer).toBe('slept');
    expect(await connectError(app.http.port)).toBe('ECONNREFUSED');
    expect(await connectError(app.thrift.port)).toBe('ECONNREFUSED');
  });
});

describe('stop() with work that outlasts the deadline', () => {
  const entered: (() => void)[] = [];
  let app: RunningApp;

  beforeAll(async () => {
    const never = deferred();
    const slow = (): Promise<void> => {
      entered.shift()?.();
      return never.promise;
    };
    app = await startTestApp({ server: { shutdown_timeout_ms: 300 } }, probeModules({ slow }));
    captureLogs();
  });

  it('when the deadline passes, then stop() still resolves and the stuck connections are closed', async () => {
    const httpEntered = deferred();
    const thriftEntered = deferred();
    entered.push(httpEntered.resolve, thriftEntered.resolve);
    const stuckHttp = fetch(`${baseUrl(app)}/probe/slow`).then(
      () => 'answered',
      () => 'closed',
    );
    await within(httpEntered.promise, 5000, 'the stuck HTTP request reaching its handler');
    const probe = await thriftClient(ProbeClient, app.thrift.port);
    const closed = new Promise<string>((resolve) => probe.connection.once('close', () => resolve('closed')));
    void probe.client.slow(60000).catch(() => undefined);
    await within(thriftEntered.promise, 5000, 'the stuck Thrift call reaching its handler');

    await within(app.stop(), 10000, 'stop() past its deadline');

    expect(await within(stuckHttp, 5000, 'the stuck HTTP request ending')).toBe('closed');
    expect(await within(closed, 5000, 'the stuck Thrift connection closing')).toBe('closed');
  });
});
