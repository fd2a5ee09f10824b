import path from 'node:path';
import express from 'express';
import { z } from 'zod';
import { ERROR_CODES, type ErrorName } from '../../exception';
import { PERMISSIONS } from '../auth/permissions';
import type { Route } from './route';

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'openapi-3.0' }) as JsonSchema;
  delete json.$schema;
  return json;
}

const errorEnvelope: JsonSchema = {
  type: 'object',
  required: ['code', 'msg', 'data', 'request_id'],
  properties: {
    code: { type: 'integer', description: 'Business code from the error-code table.' },
    msg: { type: 'string', description: 'A message for a person.' },
    data: { nullable: true, description: 'null (GET /health puts its report here when not ready).' },
    request_id: { type: 'string' },
  },
};

function okEnvelope(data: JsonSchema): JsonSchema {
  return {
    type: 'object',
    required: ['code', 'msg', 'data'],
    properties: { code: { type: 'integer', enum: [0] }, msg: { type: 'string', enum: ['ok'] }, data },
  };
}

/** Path and query parameters from an object schema's properties. */
function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const json = schemaOf(schema, 'input');
  const props = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: s,
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
  }));
}

function errorDescription(names: string[]): string {
  const table = ERROR_CODES as Record<string, { code: number; message: string } | undefined>;
  return names
    .map((n) => table[n as ErrorName])
    .filter((e): e is { code: number; message: string } => e !== undefined)
    .map((e) => `${e.code}: ${e.message}`)
    .join('\n\n');
}

function operation(route: Route): JsonSchema {
  const secured = route.permission !== 'public';
  const errors = [...route.errors, ...(route.params || route.query || route.body ? ['VALIDATION_FAILED'] : [])];
  const authErrors = secured ? ['AUTH_REQUIRED', 'AUTH_INVALID_TOKEN', 'AUTH_FORBIDDEN'] : [];
  const permission =
    route.permission === 'public'
      ? 'Public.'
      : route.permission === 'authenticated'
        ? 'Any logged-in staff member.'
        : `Needs permission \`${route.permission}\` (${PERMISSIONS[route.permission]})`;
  return {
    summary: route.summary,
    description: permission,
    tags: route.tags,
    'x-permission': route.permission,
    ...(secured ? { security: [{ bearer: [] }] } : {}),
    parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
    ...(route.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(route.body, 'input') } } } }
      : {}),
    responses: {
      [String(route.status)]: {
        description: 'Success.',
        content: {
          'application/json': { schema: okEnvelope(route.response ? schemaOf(route.response, 'output') : {}) },
        },
      },
      default: {
        description: `An error in the envelope. Codes this route may answer with:\n\n${errorDescription([...new Set([...errors, ...authErrors])])}`,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } },
      },
    },
  };
}

/** The OpenAPI 3 document of the declared routes: the same schemas that validate requests. */
export function openApiDocument(routes: Route[], info: { title: string; version: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const key = route.path.replace(/:(\w+)/g, '{$1}');
    paths[key] ??= {};
    paths[key][route.method] = operation(route);
  }
  return {
    openapi: '3.0.3',
    info: {
      ...info,
      description:
        'Every answer is an envelope: {code, msg, data} on success, {code, msg, data: null, request_id} on failure.',
    },
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'The token from POST /api/auth/login.' },
      },
      schemas: { ErrorEnvelope: errorEnvelope },
    },
  };
}

/** The swagger-ui-dist files the page loads, and the only ones served under /docs/assets. */
export const DOCS_ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js'] as const;

const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tandem API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>`;

const DOCS_INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', persistAuthorization: true });`;

/** GET /openapi.json and a browsable GET /docs (Swagger UI served from node_modules, no CDN). */
export function mountOpenApi(app: express.Express, routes: Route[], info: { title: string; version: string }): void {
  let cached: string | undefined;
  app.get('/openapi.json', (_req, res) => {
    cached ??= JSON.stringify(openApiDocument(routes, info));
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
