import http from 'node:http';
import type { RunningApp } from '../../src/core/app/app';
import { buildConfig } from '../../src/core/config';
import { baseUrl, startTestApp } from '../helpers/app';
import { freshDatabase } from '../helpers/db';

/**
 * Who can read /metrics and the API pages: /metrics limited to configured
 * networks or moved to a port of its own, /docs turned off; and which
 * X-Forwarded-For entry http.trust_proxy believes.
 */

let db: { database: string; drop: () => Promise<void> };

/**
 * A GET with node:http rather than fetch: these pages are outside the
 * declared routes, and the tests' fetch holds every answer to the OpenAPI
 * document the server serves, which a server with http.docs off has none of.
 */
function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; contentType: string | undefined; text: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], text }));
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  db = await freshDatabase();
});

afterAll(async () => {
  await db.drop();
});

async function withApp(overrides: Parameters<typeof startTestApp>[0], test: (app: RunningApp) => Promise<void>) {
  const app = await startTestApp({ ...overrides, mysql: { database: db.database } });
  try {
    await test(app);
  } finally {
    await app.stop();
  }
}

describe('/metrics', () => {
  it('when metrics.allowed_networks leaves out the caller, then GET /metrics is 403 with code 952; when it holds the caller, then 200', async () => {
    await withApp({ metrics: { allowed_networks: ['10.0.0.0/8'] } }, async (app) => {
      const res = await get(`${baseUrl(app)}/metrics`);
      const body = JSON.parse(res.text) as { code: number };

      expect({ status: res.status, code: body.code }).toEqual({ status: 403, code: 952 });
    });
    await withApp({ metrics: { allowed_networks: ['127.0.0.0/8', '::1/128'] } }, async (app) => {
      const res = await get(`${baseUrl(app)}/metrics`);

      expect(res.status).toBe(200);
      expect(res.text).toContain('# TYPE');
    });
  });

  it('when a trusted proxy in an allowed network passes on an outside client, then that client is refused', async () => {
    await withApp({ http: { trust_proxy: 1 }, metrics: { allowed_networks: ['127.0.0.0/8'] } }, async (app) => {
      const res = await get(`${baseUrl(app)}/metrics`, { 'x-forwarded-for': '198.51.100.5' });

      expect(res.status).toBe(403);
    });
  });

  it('when metrics.port is set, then /metrics is served there only, and the HTTP port answers 404 for it', async () => {
    await withApp({ metrics: { port: 0 } }, async (app) => {
      expect(app.metrics).toBeDefined();
      const onHttp = await get(`${baseUrl(app)}/metrics`);
      const onOwn = await get(`http://127.0.0.1:${app.metrics?.port}/metrics`);
      const elseOnOwn = await get(`http://127.0.0.1:${app.metrics?.port}/api/auth/me`);

      expect(onHttp.status).toBe(404);
      expect(onOwn.status).toBe(200);
      expect(onOwn.contentType).toContain('text/plain');
      expect(elseOnOwn.status).toBe(404);
    });
  });
});

describe('/metrics in the OpenAPI document', () => {
  async function documentedMetrics(app: RunningApp): Promise<Record<string, unknown> | undefined> {
    const doc = JSON.parse((await get(`${baseUrl(app)}/openapi.json`)).text) as {
      paths: Record<string, { get?: { responses: Record<string, unknown> } }>;
    };
    return doc.paths['/metrics']?.get?.responses;
  }

  it('when /metrics is on the HTTP port, then the document lists it with its 403; when it has a port of its own, then not at all', async () => {
    await withApp({}, async (app) => {
      expect(Object.keys((await documentedMetrics(app)) ?? {}).sort()).toEqual(['200', '403', '500']);
    });
    await withApp({ metrics: { port: 0 } }, async (app) => {
      expect(await documentedMetrics(app)).toBeUndefined();
    });
  });
});

describe('/docs', () => {
  it('when http.docs is false, then /docs and /openapi.json are 404 and the API still answers', async () => {
    await withApp({ http: { docs: false } }, async (app) => {
      const docs = await get(`${baseUrl(app)}/docs`);
      const spec = await get(`${baseUrl(app)}/openapi.json`);
      const ping = await get(`${baseUrl(app)}/ping`);

      expect(docs.status).toBe(404);
      expect(spec.status).toBe(404);
      expect(ping.status).toBe(200);
    });
  });
});

describe('http.trust_proxy', () => {
  it('when it is true, then the configuration is refused with a line saying why', () => {
    expect(() => buildConfig({ http: { trust_proxy: true } }, {})).toThrow(/trust_proxy[\s\S]*true is refused/);
  });

  it('when its variable is a number or a list of networks, then it is read as hops or networks', () => {
    expect(buildConfig({}, { TANDEM_HTTP_TRUST_PROXY: '2' }).http.trust_proxy).toBe(2);
    expect(buildConfig({}, { TANDEM_HTTP_TRUST_PROXY: '10.0.0.0/8, 192.168.0.0/16' }).http.trust_proxy).toEqual([
      '10.0.0.0/8',
      '192.168.0.0/16',
    ]);
    expect(buildConfig({}, { TANDEM_HTTP_TRUST_PROXY: 'false' }).http.trust_proxy).toBe(false);
    expect(() => buildConfig({}, { TANDEM_HTTP_TRUST_PROXY: '10.0.0.0/33' })).toThrow(/trust_proxy/);
  });

  it('when the proxies are given by network, then the client is the first address from the right outside them', async () => {
    await withApp(
      { http: { trust_proxy: ['127.0.0.0/8', '10.0.0.0/8'] }, metrics: { allowed_networks: ['198.51.100.0/24'] } },
      async (app) => {
        // The client wrote 203.0.113.1 itself; 198.51.100.7 is who reached the proxy at 10.0.0.5.
        const res = await get(`${baseUrl(app)}/metrics`, { 'x-forwarded-for': '203.0.113.1, 198.51.100.7, 10.0.0.5' });
        const spoofed = await get(`${baseUrl(app)}/metrics`, {
          'x-forwarded-for': '198.51.100.7, 203.0.113.1, 10.0.0.5',
        });

        expect(res.status).toBe(200);
        expect(spoofed.status).toBe(403);
      },
    );
  });
});
