import type { RunningApp } from '../../src/core/app/app';
import { baseUrl, startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';

/** Security headers, CORS from http.cors_origins, and the JSON depth and body size limits. */

const ALLOWED_ORIGIN = 'https://backoffice.example.com';
const MAX_DEPTH = 5;

let app: RunningApp;
let db: { database: string; drop: () => Promise<void> };

beforeAll(async () => {
  db = await freshDatabase();
  app = await startTestApp({
    mysql: { database: db.database },
    redis: { key_prefix: freshRedisPrefix() },
    http: { cors_origins: [ALLOWED_ORIGIN], json_max_depth: MAX_DEPTH, body_limit: '1kb' },
  });
});

afterAll(async () => {
  await app.stop();
  await db.drop();
});

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i += 1) value = { a: value };
  return value;
}

async function postLogin(
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: { code: number; msg: string } }> {
  const res = await fetch(`${baseUrl(app)}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as { code: number; msg: string } };
}

describe('security headers', () => {
  it.each(['/ping', '/api/auth/me', '/no/such/route', '/openapi.json', '/metrics'])(
    "when %s answers, then it carries helmet's API headers (nothing may load or frame it), a request id and no x-powered-by",
    async (path) => {
      const res = await fetch(`${baseUrl(app)}${path}`, { headers: { 'x-request-id': 'sec-headers-1' } });

      expect(res.headers.get('x-request-id')).toBe('sec-headers-1');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
      // Document-only headers are kept for the HTML pages.
      expect(res.headers.get('cross-origin-opener-policy')).toBeNull();
      expect(res.headers.get('x-powered-by')).toBeNull();
    },
  );

  it("when the /docs page answers, then it carries helmet's full set with a policy allowing only its own scripts", async () => {
    const res = await fetch(`${baseUrl(app)}/docs`);

    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('when a path under /docs is not found, then the 404 envelope carries the API policy, once', async () => {
    const res = await fetch(`${baseUrl(app)}/docs/no-such-page`);

    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: number }).code).not.toBe(0);
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('CORS', () => {
  it('when a configured origin calls, then the answer allows that origin and exposes X-Request-Id', async () => {
    const res = await fetch(`${baseUrl(app)}/ping`, { headers: { origin: ALLOWED_ORIGIN } });

    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(res.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
  });

  it('when another origin calls, then the answer allows no origin', async () => {
    const res = await fetch(`${baseUrl(app)}/ping`, { headers: { origin: 'https://evil.example.com' } });

    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('when a configured origin sends a preflight for an authenticated call, then Authorization is allowed', async () => {
    const res = await fetch(`${baseUrl(app)}/api/cs/events`, {
      method: 'OPTIONS',
      headers: {
        origin: ALLOWED_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });

    expect(res.status).toBeLessThan(300);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    // The CORS middleware writes this answer itself: it still carries the request id and the API headers.
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
  });

  it('when another origin sends a preflight, then it is not allowed', async () => {
    const res = await fetch(`${baseUrl(app)}/api/cs/events`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' },
    });

    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('body limits', () => {
  it('when a JSON body is nested deeper than http.json_max_depth, then 400 with code 1000 naming the limit', async () => {
    const res = await postLogin(JSON.stringify(nested(MAX_DEPTH + 1)));

    expect(res.status).toBe(400);
    expect(res.body.code).toBe(1000);
    expect(res.body.msg).toContain(`${MAX_DEPTH} levels`);
  });

  it('when a JSON body is nested exactly http.json_max_depth deep, then it passes the depth check', async () => {
    const res = await postLogin(JSON.stringify(nested(MAX_DEPTH)));

    // It reaches the route's own validation instead.
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(1001);
  });

  it('when a body is larger than http.body_limit, then 413 with code 1004', async () => {
    const res = await postLogin(JSON.stringify({ username: 'someone', password: 'p'.repeat(2048) }));

    expect(res.status).toBe(413);
    expect(res.body.code).toBe(1004);
    expect(res.body.msg).toContain('1kb');
  });

  it('when a body is just under http.body_limit, then it is read', async () => {
    const res = await postLogin(JSON.stringify({ username: 'someone', password: 'p'.repeat(900) }));

    expect(res.status).toBe(400);
    expect(res.body.code).toBe(1001);
  });
});
