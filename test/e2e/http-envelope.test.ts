import type { RunningApp } from '../../src/core/app/app';
import { probeModules } from '../fixtures/probe-app';
import { baseUrl, startTestApp } from '../helpers/app';
import { captureLogs, type LogCapture } from '../helpers/log-capture';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let app: RunningApp;
let url: string;
let logs: LogCapture;

beforeAll(async () => {
  app = await startTestApp({ http: { body_limit: '1kb' }, log: { level: 'info', access: true } }, probeModules());
  url = baseUrl(app);
  logs = captureLogs();
});

afterAll(async () => {
  await app.stop();
});

async function call(
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; body: unknown; text: string; id: string | null }> {
  const res = await fetch(`${url}${path}`, init);
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as unknown, text, id: res.headers.get('x-request-id') };
}

function postJson(path: string, body: string, headers: Record<string, string> = {}): RequestInit {
  return { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } };
}

describe('GET /ping', () => {
  it('when called, then 200 with the pong envelope and a generated X-Request-Id', async () => {
    const res = await call('/ping');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ code: 0, msg: 'ok', data: 'pong' });
    expect(res.id).toMatch(UUID);
  });

  it('when the caller sends its own X-Request-Id, then it is echoed and written on the access line', async () => {
    const requestId = `e2e-ping-${process.pid}-${Date.now()}`;

    const res = await call('/ping', { headers: { 'X-Request-Id': requestId } });

    expect(res.id).toBe(requestId);
    const line = await logs.find((l) => l.message === 'http access' && l.request_id === requestId);
    expect(line).toMatchObject({ method: 'GET', route: '/ping', status: 200, level: 'info' });
    expect(typeof line.duration_ms).toBe('number');
  });

  it('when the caller sends only a traceparent, then its trace id becomes the request id', async () => {
    const res = await call('/ping', {
      headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    });

    expect(res.id).toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it('when the caller sends an unsafe X-Request-Id, then a new one replaces it', async () => {
    const res = await call('/ping', { headers: { 'X-Request-Id': 'a b <c>' } });

    expect(res.id).toMatch(UUID);
  });
});

describe('errors in the envelope', () => {
  it('when the route is unknown, then 404 in the envelope with the request id of the header', async () => {
    const res = await call('/no/such/route', { headers: { 'X-Request-Id': 'e2e-404' } });

    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      code: 1003,
      msg: 'There is no route GET /no/such/route.',
      data: null,
      request_id: 'e2e-404',
    });
    expect(res.id).toBe('e2e-404');
  });

  it.each([
    ['DELETE', '/ping', 'GET, HEAD'],
    ['GET', '/probe/things', 'POST'],
    ['PUT', '/probe/items/7', 'GET, HEAD'],
    ['POST', '/metrics', 'GET, HEAD'],
  ])(
    'when %s asks for %s, a path served with other methods, then 405 (1007) in the envelope with Allow: %s',
    async (method, path, allow) => {
      const res = await fetch(`${url}${path}`, { method, headers: { 'X-Request-Id': 'e2e-405' } });
      const body: unknown = await res.json();

      expect({ status: res.status, allow: res.headers.get('allow'), id: res.headers.get('x-request-id') }).toEqual({
        status: 405,
        allow,
        id: 'e2e-405',
      });
      expect(body).toEqual({
        code: 1007,
        msg: `The method ${method} is not allowed on ${path}.`,
        data: null,
        request_id: 'e2e-405',
      });
    },
  );

  it('when a path no route serves is asked with any method, then still 404 without Allow', async () => {
    const res = await fetch(`${url}/probe/nothing-here`, { method: 'DELETE' });

    expect(res.status).toBe(404);
    expect(res.headers.get('allow')).toBeNull();
    expect(((await res.json()) as { code: number }).code).toBe(1003);
  });

  it('when the body is malformed JSON, then 400 with code 1002', async () => {
    const res = await call('/probe/things', postJson('/probe/things', '{"name": "x",'));

    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 1002, msg: 'The request body is not valid JSON.', data: null });
    expect(res.text).not.toMatch(/SyntaxError|at JSON|node_modules/);
  });

  it('when validation fails, then 400 with code 1001 naming each bad field', async () => {
    const res = await call('/probe/things', postJson('/probe/things', JSON.stringify({ name: '', priority: 'high' })));

    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 1001, data: null });
    const msg = (res.body as { msg: string }).msg;
    expect(msg).toContain('body.name');
    expect(msg).toContain('body.priority');
  });

  it('when a JSON route gets a body that is not sent as application/json, then 415 with code 1006, not every field invalid', async () => {
    const valid = JSON.stringify({ name: 'lamp', priority: 2 });
    const sent = [
      { method: 'POST', body: valid, headers: { 'content-type': 'text/plain' } },
      {
        method: 'POST',
        body: 'name=lamp&priority=2',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      },
      // fetch gives a string body text/plain;charset=UTF-8 when no Content-Type is set.
      { method: 'POST', body: valid },
    ];

    for (const init of sent) {
      const res = await call('/probe/things', init);

      expect(res.status).toBe(415);
      expect(res.body).toMatchObject({ code: 1006, msg: 'Send the body as application/json.', data: null });
      expect(res.text).not.toContain('body.name');
    }
  });

  it('when the JSON content type carries a charset, or the body is empty, then it is not refused as the wrong type', async () => {
    const withCharset = await call('/probe/things', {
      method: 'POST',
      body: JSON.stringify({ name: 'lamp', priority: 2 }),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    const empty = await call('/probe/things', { method: 'POST', headers: { 'content-length': '0' } });

    expect(withCharset.status).toBe(201);
    expect(empty.status).toBe(400);
    expect(empty.body).toMatchObject({ code: 1001 });
  });

  it('when a path parameter is invalid, then the field is named as params.<name>', async () => {
    const res = await call('/probe/items/abc');

    expect(res.status).toBe(400);
    expect((res.body as { msg: string }).msg).toContain('params.id');
  });

  it('when the body is valid, then the route answers 201 in the envelope', async () => {
    const res = await call('/probe/things', postJson('/probe/things', JSON.stringify({ name: 'lamp', priority: 2 })));

    expect(res.status).toBe(201);
    expect(res.body).toEqual({ code: 0, msg: 'ok', data: { name: 'lamp', priority: 2 } });
  });

  it('when the body is over the limit, then 413 with code 1004 naming the limit', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(4096), priority: 1 });

    const res = await call('/probe/things', postJson('/probe/things', big));

    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ code: 1004, msg: 'The request body is larger than 1kb.' });
  });

  it('when the JSON is nested deeper than allowed, then 400 before the route runs', async () => {
    const deep = `${'['.repeat(40)}${']'.repeat(40)}`;

    const res = await call('/probe/things', postJson('/probe/things', deep));

    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 1000 });
    expect((res.body as { msg: string }).msg).toContain('deeper than 32');
  });

  it('when a route throws a plain Error, then 500 with code 1 and no internals, and the stack is logged', async () => {
    const res = await call('/probe/fail/plain', { headers: { 'X-Request-Id': 'e2e-plain-error' } });

    expect(res.status).toBe(500);
    expect(res.body).toEqual({ code: 1, msg: 'Internal server error.', data: null, request_id: 'e2e-plain-error' });
    expect(res.text).not.toMatch(/password|secret|\.ts|stack/);
    const line = await logs.find((l) => l.message === 'request failed' && l.request_id === 'e2e-plain-error');
    expect(line).toMatchObject({ level: 'error', kind: 'DevError' });
    expect(String(line.stack)).toContain('secret.ts');
  });

  it.each([
    ['user', 400, 1000],
    ['auth', 401, 900],
    ['server', 500, 200],
    ['third_party', 504, 701],
    ['dev', 500, 1],
  ])('when a route raises the %s error, then %i with code %i and no stack or cause', async (kind, status, code) => {
    const res = await call(`/probe/fail/${kind}`);

    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ code, data: null });
    expect(res.text).not.toMatch(/ECONNREFUSED|10\.0\.0\.9|secret|stack|\bat /);
  });
});
