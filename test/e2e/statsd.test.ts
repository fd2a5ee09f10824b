import dgram from 'node:dgram';
import net from 'node:net';
import type { AppModules, RunningApp } from '../../src/core/app/app';
import { appModules } from '../../src/modules';
import { probeModules } from '../fixtures/probe-app';
import { Client as ProbeClient } from '../fixtures/thrift/gen-nodejs/Probe';
import { baseUrl, startTestApp } from '../helpers/app';
import { captureLogs } from '../helpers/log-capture';
import { tandemClient, thriftClient } from '../helpers/thrift-client';
import { waitFor, within } from '../helpers/wait';
import { listenStatsd, type StatsdListener } from '../helpers/statsd-listener';

const PREFIX = `statsd-e2e-${process.pid}.`;

let statsdListener: StatsdListener;

beforeAll(async () => {
  statsdListener = await listenStatsd();
});

afterAll(async () => {
  await statsdListener.close();
});

/** Starts the app with statsd pointed at this file's UDP socket; stops it after the describe block. */
function appSendingStatsd(modules: AppModules): () => RunningApp {
  let app: RunningApp | undefined;
  beforeAll(async () => {
    const { port } = statsdListener;
    app = await startTestApp({ statsd: { enabled: true, host: '127.0.0.1', port, prefix: PREFIX } }, modules);
    captureLogs();
  });
  afterAll(async () => {
    await app?.stop();
  });
  return () => app as RunningApp;
}

/** Waits (bounded: hot-shots flushes its buffer every 50 ms) for a line matching `pattern`. */
function received(pattern: RegExp): Promise<string> {
  return waitFor(() => statsdListener.lines.find((l) => pattern.test(l)), 5000, `a statsd line matching ${pattern}`);
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const timing = (name: string): RegExp => new RegExp(`^${escape(PREFIX + name)}:\\d+(\\.\\d+)?\\|ms$`);

describe('the tandem service', () => {
  const app = appSendingStatsd(appModules());

  it('when GET /ping is served, then a timing line for the route and status class arrives with the prefix', async () => {
    const res = await fetch(`${baseUrl(app())}/ping`);

    expect(res.status).toBe(200);
    await received(timing('http.GET.ping.2xx'));
  });

  it('when HEAD /ping is served (Express routes it to the GET route), then its timing is named HEAD', async () => {
    const res = await fetch(`${baseUrl(app())}/ping`, { method: 'HEAD' });

    expect(res.status).toBe(200);
    await received(timing('http.HEAD.ping.2xx'));
  });

  it('when Thrift ping() is called, then a timing line for the method and outcome arrives with the prefix', async () => {
    const { client, close } = await tandemClient(app().thrift.port);
    try {
      expect(await within(client.ping(), 5000, 'ping()')).toBe('pong');
    } finally {
      close();
    }

    await received(timing('thrift.ping.ok'));
  });
});

describe('the probe routes and service', () => {
  const app = appSendingStatsd(probeModules());

  it('when a route has a parameter, then the metric is named by the route template, not the raw URL', async () => {
    await fetch(`${baseUrl(app())}/probe/items/4711`);

    await received(timing('http.GET.probe.items._id.2xx'));
    expect(statsdListener.lines.some((l) => l.includes('4711'))).toBe(false);
  });

  it('when a request fails, then its timing line carries the failed status class', async () => {
    await fetch(`${baseUrl(app())}/probe/items/not-a-number`);
    await fetch(`${baseUrl(app())}/nowhere/${Date.now()}`);

    await received(timing('http.GET.probe.items._id.4xx'));
    await received(timing('http.GET.unmatched.4xx'));
  });

  it('when Thrift methods are called, then a timing line per method and outcome arrives', async () => {
    const probe = await thriftClient(ProbeClient, app().thrift.port);
    try {
      expect(await within(probe.client.echo('hi'), 5000, 'echo()')).toBe('hi');
      await within(
        probe.client.fail('user').catch(() => 'failed'),
        5000,
        'fail()',
      );
    } finally {
      probe.close();
    }

    await received(timing('thrift.echo.ok'));
    await received(timing('thrift.fail.UserError'));
  });

  it('when a connection sends garbage, then the rejection is counted in statsd', async () => {
    const raw = net.connect(app().thrift.port, '127.0.0.1');
    raw.on('error', () => undefined);
    await new Promise<void>((resolve) => raw.once('connect', () => resolve()));

    raw.write('not thrift at all');

    await received(new RegExp(`^${escape(PREFIX)}thrift\\.rejected\\.garbage:1\\|c$`));
    raw.destroy();
  });
});

describe('with nothing listening on the statsd port', () => {
  let app: RunningApp;

  beforeAll(async () => {
    const closed = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => closed.bind(0, '127.0.0.1', resolve));
    const { port } = closed.address();
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    app = await startTestApp({ statsd: { enabled: true, host: '127.0.0.1', port } }, appModules());
    captureLogs();
  });

  afterAll(async () => {
    await app.stop();
  });

  it('when requests and calls are served, then every one still succeeds', async () => {
    const { client, close } = await tandemClient(app.thrift.port);
    try {
      for (let i = 0; i < 20; i += 1) {
        const res = await fetch(`${baseUrl(app)}/ping`);
        expect(res.status).toBe(200);
        expect(await within(client.ping(), 5000, 'ping()')).toBe('pong');
      }
    } finally {
      close();
    }
  });
});
