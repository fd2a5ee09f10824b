import http from 'node:http';
import net from 'node:net';
import { buildConfig } from '../../src/core/config';
import { startTestAppAsConfigured, testConfig } from '../helpers/app';
import { freePort } from '../helpers/ports';
import { tandemClient } from '../helpers/thrift-client';

/**
 * Doors that scale apart: http.enabled and thrift.enabled let a host serve
 * one door (a web host, an rpc host). A door that is off is not listened on;
 * a host without the HTTP door answers /ping, /health and /metrics on its
 * metrics port, so its balancer and the deploy's health gate still can ask.
 */

/** A GET with node:http: the metrics port serves no OpenAPI document for the tests' fetch to check against. */
function get(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      })
      .on('error', reject);
  });
}

/**
 * Whether this process listens on the port. A TCP connect cannot tell: the
 * port was free a moment ago, and another suite running beside this one may
 * have taken it since (CI saw it once), so the test asks this process's own
 * open handles instead.
 */
function listenedOnHere(port: number): boolean {
  // process._getActiveHandles is not in @types/node; it lists the sockets and servers this process holds.
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.some((handle) => {
    if (!(handle instanceof net.Server) || !handle.listening) return false;
    const address = handle.address();
    return typeof address === 'object' && address !== null && address.port === port;
  });
}

describe('a host serving one door', () => {
  it('when thrift.enabled is false, then the Thrift port is not listened on and HTTP serves as usual', async () => {
    const thriftPort = await freePort();
    const app = await startTestAppAsConfigured({ thrift: { enabled: false, port: thriftPort } });
    try {
      const ping = await get(`http://127.0.0.1:${app.http?.port ?? 0}/ping`);

      expect({
        thrift: app.thrift,
        listened: listenedOnHere(thriftPort),
        httpListened: listenedOnHere(app.http?.port ?? 0),
        ping: [ping.status, JSON.parse(ping.text) as unknown],
      }).toEqual({
        thrift: undefined,
        listened: false,
        httpListened: true,
        ping: [200, { code: 0, msg: 'ok', data: 'pong' }],
      });
    } finally {
      await app.stop();
    }
  });

  it('when http.enabled is false, then the HTTP port is not listened on, Thrift serves, and the metrics port answers /ping, /health and /metrics but no API route', async () => {
    const httpPort = await freePort();
    const app = await startTestAppAsConfigured({ http: { enabled: false, port: httpPort }, metrics: { port: 0 } });
    const thrift = await tandemClient(app.thrift?.port ?? 0);
    try {
      const metricsBase = `http://127.0.0.1:${app.metrics?.port ?? 0}`;
      const [ping, health, metrics, api] = await Promise.all([
        get(`${metricsBase}/ping`),
        get(`${metricsBase}/health`),
        get(`${metricsBase}/metrics`),
        get(`${metricsBase}/api/cs/events`),
      ]);

      expect({
        http: app.http,
        listened: listenedOnHere(httpPort),
        thriftPing: await thrift.client.ping(),
        ping: ping.status,
        health: [health.status, (JSON.parse(health.text) as { data: { status: string } }).data.status],
        metrics: [metrics.status, metrics.text.includes('tandem_thrift_call_duration_seconds')],
        api: api.status,
      }).toEqual({
        http: undefined,
        listened: false,
        thriftPing: 'pong',
        ping: 200,
        health: [200, 'ok'],
        metrics: [200, true],
        api: 404,
      });
    } finally {
      thrift.close();
      await app.stop();
    }
  });

  it('when http.enabled is false and metrics.port is not set, then the configuration is refused naming metrics.port', () => {
    expect(() => testConfig({ http: { enabled: false } })).toThrow(
      /metrics\.port .*must be set when http\.enabled is false/,
    );
  });

  it('when TANDEM_THRIFT_ENABLED=false, then thrift.enabled is false', () => {
    expect(buildConfig({}, { TANDEM_THRIFT_ENABLED: 'false' }).thrift.enabled).toBe(false);
  });
});
