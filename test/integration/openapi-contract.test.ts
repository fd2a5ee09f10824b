import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv-draft-04';
import { z } from 'zod';
import { defineRoute } from '../../src/core/api/route';
import type { RunningApp } from '../../src/core/app/app';
import { AuthError, ERROR_CODES, UserError } from '../../src/exception';
import { probeModules } from '../fixtures/probe-app';
import { baseUrl, startTestApp } from '../helpers/app';
import { OpenApiResponseCheck } from '../helpers/openapi-check';

/**
 * /openapi.json is a document other tools can load: it passes a maintained
 * OpenAPI validator with every pointer resolved, says who may call what and
 * what each route can answer, and the answer check that every HTTP test
 * goes through (test/setup/openapi-responses.ts) fails on drift.
 */

type Json = Record<string, unknown>;
interface Operation {
  operationId: string;
  security?: Json[];
  'x-permission'?: string;
  parameters?: { name: string; in: string }[];
  requestBody?: { content: { 'application/json': { schema: Json; example?: unknown } } };
  responses: Record<string, { content?: Record<string, { schema: Json }> }>;
}
interface Doc {
  openapi: string;
  servers?: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json> };
}

let app: RunningApp;
let doc: Doc;

beforeAll(async () => {
  app = await startTestApp();
  doc = (await (await fetch(`${baseUrl(app)}/openapi.json`)).json()) as Doc;
});

afterAll(async () => {
  await app.stop();
});

function operations(): [string, string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]): [string, string, Operation] => [method, path, op]),
  );
}

/** Every `$ref` in the document, and every key named like a local definitions block. */
function walk(value: unknown, refs: string[], localDefs: string[], at: string): void {
  if (Array.isArray(value)) return value.forEach((v, i) => walk(v, refs, localDefs, `${at}/${i}`));
  if (typeof value !== 'object' || value === null) return;
  for (const [key, child] of Object.entries(value)) {
    if (key === '$ref' && typeof child === 'string') refs.push(child);
    if (key === 'definitions' || key === '$defs') localDefs.push(`${at}/${key}`);
    walk(child, refs, localDefs, `${at}/${key}`);
  }
}

function codesOf(op: Operation, status: string): number[] {
  const schema = op.responses[status]?.content?.['application/json']?.schema as
    { allOf?: { properties?: { code?: { enum?: number[] } } }[] } | undefined;
  return schema?.allOf?.[1]?.properties?.code?.enum ?? [];
}

describe('GET /openapi.json as a document other tools load', () => {
  it('when validated with swagger-parser, then it is valid OpenAPI 3.0 and every $ref resolves', async () => {
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
    // dereference follows every pointer, the recursive category node included, and fails on a missing one.
    await expect(SwaggerParser.dereference(structuredClone(doc) as never)).resolves.toBeDefined();
    expect(doc.openapi).toMatch(/^3\.0\.\d$/);
  });

  it('when every $ref is listed, then each names a schema in components/schemas and no local definitions block is left', () => {
    const refs: string[] = [];
    const localDefs: string[] = [];
    walk(doc, refs, localDefs, '#');

    expect(localDefs).toEqual([]);
    expect(refs.length).toBeGreaterThan(0);
    const unresolved = refs.filter((ref) => {
      const name = /^#\/components\/schemas\/([^/]+)$/.exec(ref)?.[1];
      return name === undefined || doc.components.schemas[name] === undefined;
    });
    expect(unresolved).toEqual([]);
  });

  it('when every schema is read, then no enum lists null and no nullable stands without a type (forms Prism and ajv skip or misread)', () => {
    const found: string[] = [];
    const visit = (value: unknown, at: string): void => {
      if (Array.isArray(value)) return value.forEach((v, i) => visit(v, `${at}/${i}`));
      if (typeof value !== 'object' || value === null) return;
      const schema = value as Json;
      if (Array.isArray(schema.enum) && schema.enum.includes(null)) found.push(`${at}: enum with null`);
      if (schema.nullable === true && schema.type === undefined) found.push(`${at}: nullable without type`);
      for (const [key, child] of Object.entries(schema)) visit(child, `${at}/${key}`);
    };

    visit(doc, '#');

    expect(found).toEqual([]);
  });

  it("when the error envelope's null data and a nullable enum are validated by ajv, then null passes and anything else fails", () => {
    const ajv = new Ajv({ strict: true });
    const envelope = doc.paths['/api/auth/me']?.get?.responses['401']?.content?.['application/json']?.schema as Json;
    const data = ((envelope.allOf as Json[])[1]?.properties as Json).data as Json;
    const fromStatus = (doc.components.schemas.CsEventRecord?.properties as Json).from_status as Json;
    const nullOnly = ajv.compile(data);
    const statusOrNull = ajv.compile(fromStatus);

    expect([null, {}, 'x', 0, [], false].map((v) => nullOnly(v))).toEqual([true, false, false, false, false, false]);
    expect([null, 'pending', 'done', 'nope', {}].map((v) => statusOrNull(v))).toEqual([true, true, true, false, false]);
  });

  it('when the recursive category tree is read, then it is one named schema referring to itself', () => {
    const node = doc.components.schemas.CsCategoryNode as { properties: { children: Json } };
    const get = doc.paths['/api/cs/categories']?.get?.responses['200']?.content?.['application/json']?.schema as {
      properties: { data: Json };
    };

    expect(node.properties.children).toEqual({ type: 'array', items: { $ref: '#/components/schemas/CsCategoryNode' } });
    expect(get.properties.data).toEqual({ type: 'array', items: { $ref: '#/components/schemas/CsCategoryNode' } });
  });

  it('when servers are read, then the one server is relative, so the document works behind any host or proxy', () => {
    expect(doc.servers?.map((s) => s.url)).toEqual(['/']);
  });

  it('when each operation is read, then it has a unique operationId, and exactly the protected ones need the bearer token', () => {
    const ids = operations().map(([, , op]) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);

    const wrong = operations()
      .filter(([, , op]) => op['x-permission'] !== undefined)
      .filter(([, , op]) => {
        const secured = op['x-permission'] !== 'public';
        return secured ? JSON.stringify(op.security) !== JSON.stringify([{ bearer: [] }]) : op.security !== undefined;
      })
      .map(([method, path]) => `${method} ${path}`);
    expect(wrong).toEqual([]);
  });

  it('when each route is read, then the error statuses it can answer are documented with their codes', () => {
    const missing: string[] = [];
    const need = (method: string, path: string, op: Operation, status: string, code?: number): void => {
      if (!op.responses[status]) missing.push(`${method} ${path}: no ${status}`);
      else if (code !== undefined && !codesOf(op, status).includes(code)) {
        missing.push(`${method} ${path}: ${status} without code ${code}`);
      }
    };
    for (const [method, path, op] of operations()) {
      if (op['x-permission'] === undefined) continue;
      need(method, path, op, '500', ERROR_CODES.INTERNAL.code);
      need(method, path, op, '503', ERROR_CODES.REQUEST_DEADLINE.code);
      if (op['x-permission'] !== 'public') {
        need(method, path, op, '401', ERROR_CODES.AUTH_REQUIRED.code);
        need(method, path, op, '401', ERROR_CODES.AUTH_INVALID_TOKEN.code);
        need(method, path, op, '503', ERROR_CODES.CACHE_ERROR.code);
      }
      if (op['x-permission'] !== 'public' && op['x-permission'] !== 'authenticated') {
        need(method, path, op, '403', ERROR_CODES.AUTH_FORBIDDEN.code);
      }
      if (op.requestBody) {
        need(method, path, op, '400', ERROR_CODES.MALFORMED_JSON.code);
        need(method, path, op, '400', ERROR_CODES.VALIDATION_FAILED.code);
        need(method, path, op, '413', ERROR_CODES.BODY_TOO_LARGE.code);
        need(method, path, op, '415', ERROR_CODES.UNSUPPORTED_MEDIA_TYPE.code);
      }
      if ((op.parameters ?? []).length > 0) need(method, path, op, '400', ERROR_CODES.VALIDATION_FAILED.code);
    }
    const events = doc.paths['/api/cs/events/{id}'];
    if (events?.get) need('get', '/api/cs/events/{id}', events.get, '404', ERROR_CODES.CS_EVENT_NOT_FOUND.code);
    const transition = doc.paths['/api/cs/events/{id}/transition']?.post;
    if (transition) need('post', 'transition', transition, '409', ERROR_CODES.CS_EVENT_DONE.code);
    const login = doc.paths['/api/auth/login']?.post;
    if (login) need('post', '/api/auth/login', login, '429', ERROR_CODES.AUTH_RATE_LIMITED.code);
    const health = doc.paths['/health']?.get;
    if (health) need('get', '/health', health, '503', ERROR_CODES.SHUTTING_DOWN.code);

    expect(missing).toEqual([]);
    // /ping reads no store: its only 503 is the request ceiling's.
    const ping = doc.paths['/ping']?.get;
    expect(ping && codesOf(ping, '503')).toEqual([ERROR_CODES.REQUEST_DEADLINE.code]);
  });

  it('when each answer is read, then it names X-Request-Id, and every 429 and 503 Retry-After, as required headers', () => {
    const wrong: string[] = [];
    for (const [method, path, op] of operations()) {
      for (const [status, response] of Object.entries(op.responses) as [string, { headers?: Json }][]) {
        const names = Object.keys(response.headers ?? {}).sort();
        const expected = status === '429' || status === '503' ? ['Retry-After', 'X-Request-Id'] : ['X-Request-Id'];
        if (JSON.stringify(names) !== JSON.stringify(expected))
          wrong.push(`${method} ${path} ${status}: ${names.join()}`);
      }
    }

    expect(wrong).toEqual([]);
  });

  it('when an answer lacks a header its status requires, then that is a violation', () => {
    const check = new OpenApiResponseCheck(doc as unknown as Json);
    const busy = { code: 103, msg: 'Too slow.', data: null, request_id: 'r' };
    const answer = {
      method: 'GET',
      path: '/ping',
      status: 503,
      contentType: 'application/json',
      body: JSON.stringify(busy),
    };

    expect(check.violations({ ...answer, headers: new Set(['x-request-id', 'retry-after']) })).toEqual([]);
    expect(check.violations({ ...answer, headers: new Set(['x-request-id']) })).toEqual([
      'GET /ping answered 503 without the Retry-After header the document requires',
    ]);
  });

  it('when each request body is read, then it carries an example that its own schema accepts', () => {
    const check = new OpenApiResponseCheck(doc as unknown as Json);
    const problems = operations()
      .filter(([, , op]) => op.requestBody !== undefined)
      .flatMap(([method, path]) => check.requestExampleViolations(path, method));

    expect(problems).toEqual([]);
    expect(operations().filter(([, , op]) => op.requestBody).length).toBeGreaterThanOrEqual(6);
  });
});

describe('the answer check', () => {
  const check = (): OpenApiResponseCheck => new OpenApiResponseCheck(doc as unknown as Json);
  const json = 'application/json; charset=utf-8';
  const event = {
    id: 1,
    user_id: null,
    user_type: 'user',
    phone: '',
    order_id: null,
    source: 'phone',
    category_id: null,
    priority: 0,
    status: 'pending',
    creator_id: 2,
    handler_id: 2,
    compensation: 0,
    content: 'late',
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
  };
  const answer = (status: number, body: unknown, path = '/api/cs/events/1') => ({
    method: 'GET',
    path,
    status,
    contentType: json,
    body: JSON.stringify(body),
  });

  it('when an answer matches its route and status, then it has no violation', () => {
    expect(check().violations(answer(200, { code: 0, msg: 'ok', data: event }))).toEqual([]);
    expect(check().violations(answer(404, { code: 1100, msg: 'Not found.', data: null, request_id: 'r-1' }))).toEqual(
      [],
    );
  });

  it('when an answer carries a field its schema does not declare, then that is a violation', () => {
    const problems = check().violations(answer(200, { code: 0, msg: 'ok', data: { ...event, secret: 'x' } }));

    expect(problems.join('\n')).toMatch(/additional properties.*secret/);
  });

  it('when a route answers a status or a code it does not document, then that is a violation', () => {
    const status = check().violations(answer(409, { code: 1101, msg: 'Done.', data: null, request_id: 'r' }));
    const code = check().violations(answer(404, { code: 1200, msg: 'No order.', data: null, request_id: 'r' }));

    expect(status.join('\n')).toMatch(/status the document does not list/);
    expect(code.join('\n')).toMatch(/\/code must be equal to one of the allowed values/);
  });

  it('when an unknown path answers, then only a 4xx in the error envelope passes', () => {
    const notFound = { code: 1003, msg: 'There is no route.', data: null, request_id: 'r' };

    expect(check().violations(answer(404, notFound, '/nowhere'))).toEqual([]);
    expect(check().violations(answer(200, { code: 0, msg: 'ok', data: null }, '/nowhere')).length).toBe(1);
    expect(check().violations(answer(404, { ...notFound, stack: 'at x' }, '/nowhere')).length).toBe(1);
  });
});

describe('a route whose answers drift from its declaration', () => {
  let drift: RunningApp;

  beforeAll(async () => {
    const probe = probeModules();
    drift = await startTestApp(
      {},
      {
        ...probe,
        routes: (resources) => [
          ...probe.routes(resources),
          defineRoute({
            method: 'get',
            path: '/drift/extra-field',
            summary: 'Declares {id} and answers one field more.',
            permission: 'public',
            response: z.object({ id: z.number() }),
            usesDependencies: false,
            handler: () => ({ id: 1, password_hash: 'x' }),
          }),
          defineRoute({
            method: 'get',
            path: '/drift/undeclared-status',
            summary: 'Declares no auth error and answers 401.',
            permission: 'public',
            response: z.null(),
            usesDependencies: false,
            handler: () => {
              throw new AuthError('AUTH_REQUIRED');
            },
          }),
          defineRoute({
            method: 'get',
            path: '/drift/undeclared-code',
            summary: 'Declares BAD_REQUEST and answers another 400 code.',
            permission: 'public',
            response: z.null(),
            errors: ['BAD_REQUEST'],
            usesDependencies: false,
            handler: () => {
              throw new UserError('CS_NOTHING_TO_UPDATE');
            },
          }),
        ],
      },
    );
  });

  afterAll(async () => {
    await drift.stop();
  });

  it('when it answers a field it does not declare, then the test that receives it fails', async () => {
    await expect(fetch(`${baseUrl(drift)}/drift/extra-field`)).rejects.toThrow(/password_hash/);
  });

  it('when it answers a status it does not declare, then the test that receives it fails', async () => {
    await expect(fetch(`${baseUrl(drift)}/drift/undeclared-status`)).rejects.toThrow(
      /answered 401, a status the document does not list/,
    );
  });

  it('when it answers a code it does not declare, then the test that receives it fails', async () => {
    await expect(fetch(`${baseUrl(drift)}/drift/undeclared-code`)).rejects.toThrow(/code must be equal to one of/);
  });

  it('when a declared route answers as declared, then the test sees the answer', async () => {
    const res = await fetch(`${baseUrl(drift)}/probe/items/7`);

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ code: 0, msg: 'ok', data: { id: 7 } });
  });
});
