import { CS_SOURCES, CS_STATUSES } from '../../src/service/cs/cs-types';
import { baseUrl } from '../helpers/app';
import { appWithOwnData } from '../helpers/cs';

const app = appWithOwnData();

type Json = Record<string, unknown>;
interface Operation {
  security?: Json[];
  'x-permission'?: string;
  parameters: { name: string; in: string; required: boolean; schema: Json }[];
  requestBody?: { required: boolean; content: { 'application/json': { schema: Json } } };
  responses: Record<string, { content?: { 'application/json': { schema: Json } } }>;
}

/** Every cs route as declared: method, OpenAPI path, success status and permission. */
const CS_ROUTES: [string, string, string, string][] = [
  ['post', '/api/cs/events', '201', 'cs_event.write'],
  ['get', '/api/cs/events', '200', 'cs_event.read'],
  ['get', '/api/cs/events/{id}', '200', 'cs_event.read'],
  ['patch', '/api/cs/events/{id}', '200', 'cs_event.write'],
  ['delete', '/api/cs/events/{id}', '200', 'cs_event.admin'],
  ['post', '/api/cs/events/{id}/transition', '200', 'cs_event.write'],
  ['get', '/api/cs/events/{id}/records', '200', 'cs_event.read'],
  ['get', '/api/cs/events/{id}/timeline', '200', 'cs_event.read'],
  ['get', '/api/cs/categories', '200', 'cs_event.read'],
  ['put', '/api/cs/categories', '200', 'cs_event.admin'],
  ['get', '/api/cs/stats', '200', 'cs_event.read'],
];

let doc: { paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Json; schemas: Json } };

beforeAll(async () => {
  const res = await fetch(`${baseUrl(app())}/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  doc = (await res.json()) as typeof doc;
});

function op(method: string, path: string): Operation {
  const found = doc.paths[path]?.[method];
  if (!found) throw new Error(`${method.toUpperCase()} ${path} is not in /openapi.json`);
  return found;
}

describe('GET /openapi.json', () => {
  it('when fetched, then it lists exactly the declared cs routes', () => {
    const listed = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/cs/'))
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`))
      .sort();

    expect(listed).toEqual(CS_ROUTES.map(([method, path]) => `${method} ${path}`).sort());
  });

  it.each(CS_ROUTES)(
    'when %s %s is read, then it needs a bearer token and declares its success status %s, its permission and the error envelope of 401, 403 and 500',
    (method, path, status, permission) => {
      const operation = op(method, path);

      expect(operation.security).toEqual([{ bearer: [] }]);
      expect(operation['x-permission']).toBe(permission);
      expect(operation.responses[status]).toBeDefined();
      expect(operation.responses.default).toBeUndefined();
      for (const error of ['401', '403', '500']) {
        expect(operation.responses[error]?.content?.['application/json'].schema).toMatchObject({
          allOf: [{ $ref: '#/components/schemas/ErrorEnvelope' }, { properties: { code: { type: 'integer' } } }],
        });
      }
    },
  );

  it('when the security scheme is read, then bearer is an HTTP bearer scheme', () => {
    expect(doc.components.securitySchemes).toMatchObject({ bearer: { type: 'http', scheme: 'bearer' } });
  });

  it('when a route has :id, then {id} is a required path parameter of type integer', () => {
    for (const [method, path] of CS_ROUTES.filter(([, p]) => p.includes('{id}'))) {
      const id = op(method, path).parameters.find((p) => p.name === 'id');
      expect(id).toMatchObject({ in: 'path', required: true });
      expect(['integer', 'number']).toContain(id?.schema.type);
    }
  });

  it('when the list route is read, then every filter and the paging are query parameters, with page_size capped at 1000 as validation does', () => {
    const params = op('get', '/api/cs/events').parameters;

    expect(params.map((p) => p.name).sort()).toEqual(
      [
        'status',
        'category_id',
        'user_type',
        'priority',
        'source',
        'phone',
        'handler',
        'has_compensation',
        'created_from',
        'created_to',
        'page',
        'cursor',
        'page_size',
      ].sort(),
    );
    expect(params.every((p) => p.in === 'query' && !p.required)).toBe(true);
    expect(params.find((p) => p.name === 'page_size')?.schema).toMatchObject({ maximum: 1000, minimum: 1 });
    expect(params.find((p) => p.name === 'source')?.schema).toMatchObject({ enum: [...CS_SOURCES] });
  });

  it('when the create and transition routes are read, then their JSON bodies name the required fields and the allowed values', () => {
    const create = op('post', '/api/cs/events').requestBody?.content['application/json'].schema;
    const transition = op('post', '/api/cs/events/{id}/transition').requestBody?.content['application/json'].schema;

    expect(create?.required).toEqual(expect.arrayContaining(['user_type', 'source', 'content']));
    expect(Object.keys((create?.properties ?? {}) as Json)).toEqual(
      expect.arrayContaining(['order_id', 'request_key', 'handler_id', 'compensation']),
    );
    expect(transition?.required).toEqual(['to']);
    expect((transition?.properties as Record<string, Json>).to).toMatchObject({ enum: [...CS_STATUSES] });
    expect(op('patch', '/api/cs/events/{id}').requestBody?.required).toBe(true);
    expect(op('put', '/api/cs/categories').requestBody).toBeDefined();
  });

  it('when the event output is read, then order_id is a string (exact beyond 2^53)', () => {
    const ok = op('get', '/api/cs/events/{id}').responses['200']?.content?.['application/json'].schema as {
      properties: { data: Json };
    };
    const event = doc.components.schemas.CsEvent as { properties: Record<string, Json> };

    expect(ok.properties.data).toEqual({ $ref: '#/components/schemas/CsEvent' });
    expect(event.properties.order_id).toMatchObject({ type: 'string', nullable: true });
  });
});

describe('GET /docs', () => {
  it('when fetched, then a browsable HTML page that loads /openapi.json with assets served locally', async () => {
    const page = await fetch(`${baseUrl(app())}/docs`);
    const html = await page.text();
    const init = await fetch(`${baseUrl(app())}/docs/init.js`);
    const bundle = await fetch(`${baseUrl(app())}/docs/assets/swagger-ui-bundle.js`);

    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(html).toContain('swagger-ui-bundle.js');
    expect(await init.text()).toContain('/openapi.json');
    expect(bundle.status).toBe(200);
    await bundle.arrayBuffer();
  });
});
