import type { z } from 'zod';
import { ERROR_CODES, type ErrorName } from '../../exception';
import { type JsonSchema, NULL_ONLY, SchemaComponents } from './openapi-schemas';
import type { Route } from './route';
import { errorsByStatus } from './route-errors';

/** The swagger-ui-dist files the docs page loads, and the only ones served under /docs/assets. */
export const DOCS_ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js'] as const;

const ERROR_ENVELOPE_REF = '#/components/schemas/ErrorEnvelope';

/** The failure envelope every error answer shares; each route narrows `code` (and `data`) per status. */
const errorEnvelope: JsonSchema = {
  type: 'object',
  required: ['code', 'msg', 'data', 'request_id'],
  additionalProperties: false,
  properties: {
    code: { type: 'integer', description: 'Business code from the error-code table.' },
    msg: { type: 'string', description: 'A message for a person.' },
    data: { description: 'null, except where a route documents otherwise (GET /health puts its report here).' },
    request_id: { type: 'string', description: 'The X-Request-Id of the answer, to quote when reporting it.' },
  },
};

/** Every answer's request id; a 429 or 503 also says when to retry. */
const REQUEST_ID_HEADER: JsonSchema = {
  required: true,
  description: "The request's id: the caller's own X-Request-Id (or traceparent trace id) when it sent one.",
  schema: { type: 'string' },
};
const RETRY_AFTER_HEADER: JsonSchema = {
  required: true,
  description: 'Seconds to wait before trying again.',
  schema: { type: 'integer', minimum: 0 },
};

function headersOf(status: number): JsonSchema {
  const retry = status === 429 || status === 503;
  return { 'X-Request-Id': REQUEST_ID_HEADER, ...(retry ? { 'Retry-After': RETRY_AFTER_HEADER } : {}) };
}

function okEnvelope(data: JsonSchema): JsonSchema {
  return {
    type: 'object',
    required: ['code', 'msg', 'data'],
    additionalProperties: false,
    properties: { code: { type: 'integer', enum: [0] }, msg: { type: 'string', enum: ['ok'] }, data },
  };
}

/** `GET /api/cs/events/:id/records` -> `getCsEventsByIdRecords`: the method name a generated client shows. */
function operationIdOf(route: Route): string {
  const words = route.path
    .split('/')
    .filter((part) => part !== '' && part !== 'api')
    .map((part) => (part.startsWith(':') ? `By_${part.slice(1)}` : part))
    .flatMap((part) => part.split(/[^A-Za-z0-9]+/))
    .filter((word) => word !== '')
    .map((word) => word[0]?.toUpperCase() + word.slice(1));
  return route.method + words.join('');
}

/** Path and query parameters from an object schema's properties. */
function parameters(
  components: SchemaComponents,
  owner: string,
  schema: z.ZodType | undefined,
  where: 'path' | 'query',
): JsonSchema[] {
  if (!schema) return [];
  const json = components.convert(schema, 'input', owner);
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

/** The answer of one error status: the envelope with the codes this route answers with there. */
function errorResponse(status: number, names: ErrorName[], data: JsonSchema): JsonSchema {
  const codes = names.map((name) => ERROR_CODES[name].code).sort((a, b) => a - b);
  const lines = names
    .map((name) => ({ name, ...ERROR_CODES[name] }))
    .sort((a, b) => a.code - b.code)
    .map((e) => `- \`${e.code}\` ${e.name}: ${e.message}`);
  return {
    description: `An error envelope with one of these codes:\n\n${lines.join('\n')}`,
    headers: headersOf(status),
    content: {
      'application/json': {
        schema: {
          allOf: [
            { $ref: ERROR_ENVELOPE_REF },
            {
              type: 'object',
              required: ['code', 'data'],
              properties: { code: { type: 'integer', enum: codes }, data },
            },
          ],
        },
      },
    },
  };
}

/** ` (what it allows)` for a permission its domain describes. */
function describedPermission(options: DocumentOptions, permission: string): string {
  const description = options.describePermission?.(permission);
  return description ? ` (${description})` : '.';
}

function operation(route: Route, components: SchemaComponents, options: DocumentOptions): JsonSchema {
  const id = route.operationId ?? operationIdOf(route);
  const owner = id[0]?.toUpperCase() + id.slice(1);
  const secured = route.permission !== 'public';
  const permission =
    route.permission === 'public'
      ? 'Public.'
      : route.permission === 'authenticated'
        ? 'Any logged-in staff member.'
        : `Needs permission \`${route.permission}\`${describedPermission(options, route.permission)}`;
  const errorData = route.errorData ? components.convert(route.errorData, 'output', `${owner}ErrorData`) : NULL_ONLY;
  const responses: Record<string, JsonSchema> = {
    [String(route.status)]: {
      description: 'Success.',
      headers: headersOf(route.status),
      content: {
        'application/json': {
          schema: okEnvelope(route.response ? components.convert(route.response, 'output', `${owner}Data`) : {}),
        },
      },
    },
  };
  for (const [status, names] of errorsByStatus(route)) {
    responses[String(status)] = errorResponse(status, names, errorData);
  }
  const body = route.body ? components.convert(route.body, 'input', `${owner}Body`) : undefined;
  return {
    operationId: id,
    summary: route.summary,
    description: permission,
    tags: route.tags,
    'x-permission': route.permission,
    ...(secured ? { security: [{ bearer: [] }] } : {}),
    parameters: [
      ...parameters(components, `${owner}Params`, route.params, 'path'),
      ...parameters(components, `${owner}Query`, route.query, 'query'),
    ],
    ...(body
      ? {
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: body, ...(route.example === undefined ? {} : { example: route.example }) },
            },
          },
        }
      : {}),
    responses,
  };
}

/** One answer of a page outside the envelope. */
function rawAnswer(description: string, mediaType: string, schema: JsonSchema): JsonSchema {
  return { description, headers: headersOf(200), content: { [mediaType]: { schema } } };
}

const INTERNAL_ONLY: ErrorName[] = ['INTERNAL'];

/**
 * The endpoints served outside the declared routes (core/app mounts
 * /metrics, mountOpenApi the document and its page with its files), so the
 * document lists everything a client or gateway can reach.
 */
function rawPaths(options: DocumentOptions): Record<string, Record<string, JsonSchema>> {
  const op = (operationId: string, summary: string, ok: JsonSchema): Record<string, JsonSchema> => ({
    get: {
      operationId,
      summary,
      tags: ['system'],
      responses: { '200': ok, '500': errorResponse(500, INTERNAL_ONLY, NULL_ONLY) },
    },
  });
  return {
    '/openapi.json': op(
      'getOpenapiJson',
      'This document.',
      rawAnswer('The OpenAPI 3.0 document.', 'application/json', { type: 'object' }),
    ),
    '/docs': op(
      'getDocs',
      'The document as a browsable page (Swagger UI).',
      rawAnswer('An HTML page.', 'text/html', { type: 'string' }),
    ),
    '/docs/init.js': op(
      'getDocsInit',
      "The page's script that points Swagger UI at this document.",
      rawAnswer('JavaScript.', 'text/javascript', { type: 'string' }),
    ),
    '/docs/assets/{file}': {
      get: {
        operationId: 'getDocsAsset',
        summary: "One of the page's Swagger UI files, served from the installed package.",
        tags: ['system'],
        parameters: [{ name: 'file', in: 'path', required: true, schema: { type: 'string', enum: [...DOCS_ASSETS] } }],
        responses: {
          '200': {
            description: 'The file.',
            headers: headersOf(200),
            content: {
              'text/css': { schema: { type: 'string' } },
              'text/javascript': { schema: { type: 'string' } },
              'application/javascript': { schema: { type: 'string' } },
            },
          },
          '404': errorResponse(404, ['ROUTE_NOT_FOUND'], NULL_ONLY),
          '500': errorResponse(500, INTERNAL_ONLY, NULL_ONLY),
        },
      },
    },
    ...(options.metrics ? { '/metrics': metricsPath() } : {}),
  };
}

/** GET /metrics: a client outside metrics.allowed_networks gets 403 (952). */
function metricsPath(): Record<string, JsonSchema> {
  return {
    get: {
      operationId: 'getMetrics',
      summary: 'Prometheus metrics in the text exposition format, for the networks in metrics.allowed_networks.',
      tags: ['system'],
      responses: {
        '200': rawAnswer('Prometheus text format 0.0.4.', 'text/plain', { type: 'string' }),
        '403': errorResponse(403, ['AUTH_CLIENT_NOT_ALLOWED'], NULL_ONLY),
        '500': errorResponse(500, INTERNAL_ONLY, NULL_ONLY),
      },
    },
  };
}

/** What the document says about the endpoints outside the declared routes. */
export interface DocumentOptions {
  /** GET /metrics is served on this port (false when metrics.port gives it a port of its own). */
  metrics: boolean;
  /** What a permission allows, for the routes that need it (the domains declare it). */
  describePermission?: (permission: string) => string | undefined;
}

/**
 * The OpenAPI 3.0 document of the declared routes, from the same schemas
 * that validate requests: each route's success answer and every error status
 * it can answer, with the codes per status, so a client (or the tests,
 * through test/helpers/openapi-check.ts) can hold each answer to it.
 */
export function openApiDocument(
  routes: Route[],
  info: { title: string; version: string },
  options: DocumentOptions = { metrics: true },
): JsonSchema {
  const components = new SchemaComponents();
  components.add('ErrorEnvelope', errorEnvelope);
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const key = route.path.replace(/:(\w+)/g, '{$1}');
    paths[key] ??= {};
    paths[key][route.method] = operation(route, components, options);
  }
  return {
    openapi: '3.0.3',
    info: {
      ...info,
      description:
        'Every answer is an envelope: {code, msg, data} on success, {code, msg, data: null, request_id} on failure. ' +
        'Each operation lists every status it can answer and, per error status, the business codes it can carry. ' +
        'A path no route serves answers 404 with code 1003 in the same envelope; a path served with other methods ' +
        'answers 405 with code 1007 and an Allow header.',
    },
    servers: [{ url: '/', description: 'The server that serves this document.' }],
    paths: { ...paths, ...rawPaths(options) },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'The token from POST /api/auth/login.' },
      },
      schemas: components.schemas,
    },
  };
}
