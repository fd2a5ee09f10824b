import net from 'node:net';
import type { RunningApp } from '../../src/core/app/app';
import { baseUrl, startTestApp } from '../helpers/app';
import { captureLogs } from '../helpers/log-capture';

interface Envelope {
  code: number;
  msg: string;
  data: { status: string; checks: Record<string, { ok: boolean; required: boolean; error?: string }> } | null;
}

/** A loopback port with nothing listening on it (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('with MariaDB and Redis up', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startTestApp();
  });

  afterAll(async () => {
    await app.stop();
  });

  it('when GET /health, then 200 with mysql and redis reported ok', async () => {
    const res = await fetch(`${baseUrl(app)}/health`);
    const body = (await res.json()) as Envelope;

    expect(res.status).toBe(200);
    expect(body.code).toBe(0);
    expect(body.data?.status).toBe('ok');
    expect(body.data?.checks.mysql).toMatchObject({ ok: true, required: true });
    expect(body.data?.checks.redis).toMatchObject({ ok: true, required: false });
  });

  it('when GET /metrics after a request, then Prometheus text has that request by route template', async () => {
    await fetch(`${baseUrl(app)}/ping`);

    const res = await fetch(`${baseUrl(app)}/metrics`);
    const text = await res.text();

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(text).toContain('# TYPE tandem_http_request_duration_seconds histogram');
    expect(text).toMatch(
      /tandem_http_request_duration_seconds_count\{method="GET",route="\/ping",status="2xx"\} [1-9]/,
    );
    expect(text).toContain('# TYPE tandem_thrift_call_duration_seconds histogram');
    expect(text).toContain('# TYPE tandem_in_flight gauge');
    expect(text).toContain('tandem_nodejs_eventloop_lag_seconds');
  });
});

// Only MySQL is pointed at a dead port: an unreachable Redis leaves ioredis's
// 2 s disconnect timer running after stop(), which would hold the jest worker.
describe('with MariaDB unreachable', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startTestApp({ mysql: { port: await closedPort() }, log: { level: 'error' } });
    captureLogs(); // the failed readiness is logged at error; keep it out of the test output
  });

  afterAll(async () => {
    await app.stop();
  });

  it('when GET /ping, then it still answers: liveness touches no dependency', async () => {
    const res = await fetch(`${baseUrl(app)}/ping`);

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ code: 0, msg: 'ok', data: 'pong' });
  });

  it('when GET /health, then 503 with code 100 and the report naming MySQL as down, without credentials', async () => {
    const res = await fetch(`${baseUrl(app)}/health`);
    const text = await res.text();
    const body = JSON.parse(text) as Envelope;

    expect(res.status).toBe(503);
    expect(body.code).toBe(100);
    expect(body.data?.status).toBe('down');
    expect(body.data?.checks.mysql).toMatchObject({ ok: false, required: true });
    expect(body.data?.checks.redis).toMatchObject({ ok: true });
    expect(text).not.toMatch(/password|root@/);
  });
});
