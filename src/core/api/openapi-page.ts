import path from 'node:path';
import type express from 'express';
import { DOCS_ASSETS, type DocumentOptions, openApiDocument } from './openapi';
import type { Route } from './route';

const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tandem API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>`;

const DOCS_INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', persistAuthorization: true });`;

/** GET /openapi.json and a browsable GET /docs (Swagger UI served from node_modules, no CDN). */
export function mountOpenApi(
  app: express.Express,
  routes: Route[],
  info: { title: string; version: string },
  options: DocumentOptions = { metrics: true },
): void {
  // Built at start: a declaration the document cannot describe stops the app instead of failing the first reader.
  const cached = JSON.stringify(openApiDocument(routes, info, options));
  app.get('/openapi.json', (_req, res) => {
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(cached);
  });
  const assets = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  // Only the files DOCS_PAGE loads: the package also holds source maps (1.9 MB for the bundle
  // alone), other bundles and a demo page that nothing here needs to expose.
  for (const name of DOCS_ASSETS) {
    const file = path.join(assets, name);
    app.get(`/docs/assets/${name}`, (_req, res, next) => {
      res.sendFile(file, { maxAge: '1d' }, (err) => {
        if (err !== undefined && !res.headersSent) next(err);
      });
    });
  }
  app.get('/docs/init.js', (_req, res) => {
    res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
    res.end(DOCS_INIT);
  });
  app.get('/docs', (_req, res) => {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(DOCS_PAGE);
  });
}
