import http from 'node:http';
import type { RunningApp } from '../../src/core/app/app';
import { probeModules } from '../fixtures/probe-app';
import { baseUrl, startTestApp } from '../helpers/app';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { checkAnswer } from '../helpers/openapi-fetch-check';

/**
 * The ceiling of one HTTP request (http.request_timeout_ms): whatever a
 * handler waits on, the caller is answered 503 with code 103 and
 * Retry-After when it passes, and the handler's late result is dropped
 * without breaking the connection or writing a second answer.
 */

const CEILING_MS = 300;

let app: RunningApp;
let logs: LogCapture;
let release: () => void = () => undefined;

beforeAll(async () => {
  app = await startTestApp(
    { http: { request_timeout_ms: CEILING_MS } },
    probeModules({
      slow: () =>
        new Promise<void>((resolve) => {
          release = resolve;
        }),
    }),
  );
  logs = captureLogs();
});

afterAll(async () => {
  release();
  await app.stop();
});

describe('the per-request ceiling', () => {
  it('when a handler waits past http.request_timeout_ms, then 503 code 103 with Retry-After, and the late result is dropped', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = (
      path: string,
    ): Promise<{ status: number; body: string; headers: Record<string, unknown>; reused: boolean }> =>
      new Promise((resolve, reject) => {
        const req = http.get(`${baseUrl(app)}${path}`, { agent }, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
          res.on('end', () => {
            const answer = { status: res.statusCode ?? 0, body, headers: res.headers, reused: req.reusedSocket };
            checkAnswer('GET', `${baseUrl(app)}${path}`, answer.status, res.headers, body).then(
              () => resolve(answer),
              reject,
            );
          });
        });
        req.on('error', reject);
      });

    const started = performance.now();
    const slow = await get('/probe/slow');
    const ms = performance.now() - started;
    release();
    // The same keep-alive connection still serves: the late result wrote nothing on it.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const next = await get('/ping');
    agent.destroy();

    expect(slow.status).toBe(503);
    expect(JSON.parse(slow.body)).toMatchObject({
      code: 103,
      msg: `The request did not finish within ${CEILING_MS} ms; try again shortly.`,
      data: null,
    });
    expect(slow.headers['retry-after']).toBe('1');
    expect(ms).toBeGreaterThanOrEqual(CEILING_MS - 5);
    expect(next.status).toBe(200);
    expect(next.reused).toBe(true);
    expect(logs.lines.filter((l) => l.message === 'request failed')).toEqual([]);
  });
});
