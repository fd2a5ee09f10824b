import type { RunningApp } from '../../src/core/app/app';
import { DOCS_ASSETS } from '../../src/core/api/openapi';
import { baseUrl, startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';

/**
 * The /docs page over plain HTTP, as a browser on another machine loads it:
 * its policy must not send the page's scripts to https, every file the page
 * references is served, and nothing else of swagger-ui-dist is.
 */

let app: RunningApp;
let db: { database: string; drop: () => Promise<void> };

beforeAll(async () => {
  db = await freshDatabase();
  app = await startTestApp({ mysql: { database: db.database }, redis: { key_prefix: freshRedisPrefix() } });
});

afterAll(async () => {
  await app.stop();
  await db.drop();
});

/** The same-origin URLs a page loads with <script src> and <link href>. */
function referencedUrls(html: string): string[] {
  return [...html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
}

describe('GET /docs over plain HTTP', () => {
  it('when the page answers, then its policy does not upgrade requests to https and still allows only its own origin', async () => {
    const res = await fetch(`${baseUrl(app)}/docs`);
    const csp = res.headers.get('content-security-policy') ?? '';

    expect(res.status).toBe(200);
    expect(csp).not.toMatch(/upgrade-insecure-requests/);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
  });

  it('when the page references its scripts and styles, then each is served 200 with its type and a policy without the upgrade', async () => {
    const html = await (await fetch(`${baseUrl(app)}/docs`)).text();
    const urls = referencedUrls(html);

    expect(urls.sort()).toEqual(['/docs/assets/swagger-ui-bundle.js', '/docs/assets/swagger-ui.css', '/docs/init.js']);
    for (const url of urls) {
      const res = await fetch(`${baseUrl(app)}${url}`);
      const body = await res.arrayBuffer();

      expect({ url, status: res.status }).toEqual({ url, status: 200 });
      expect(body.byteLength).toBeGreaterThan(0);
      expect(res.headers.get('content-type')).toMatch(url.endsWith('.css') ? /text\/css/ : /javascript/);
      expect(res.headers.get('content-security-policy') ?? '').not.toMatch(/upgrade-insecure-requests/);
    }
  });

  it('when every served asset is listed, then it is exactly what the page references', async () => {
    const html = await (await fetch(`${baseUrl(app)}/docs`)).text();

    expect(DOCS_ASSETS.map((name) => `/docs/assets/${name}`).sort()).toEqual(
      referencedUrls(html)
        .filter((u) => u.startsWith('/docs/assets/'))
        .sort(),
    );
  });

  it.each([
    'swagger-ui-bundle.js.map',
    'swagger-ui.css.map',
    'swagger-ui.js',
    'swagger-ui-es-bundle.js',
    'index.html',
    'package.json',
    'LICENSE',
    'swagger-initializer.js',
    '..%2Fpackage.json',
    '',
  ])('when /docs/assets/%s of the package is asked for, then it is a 404 envelope', async (name) => {
    const res = await fetch(`${baseUrl(app)}/docs/assets/${name}`);
    const body = (await res.json()) as { code: number };

    expect(res.status).toBe(404);
    expect(body.code).toBe(1003);
  });
});
