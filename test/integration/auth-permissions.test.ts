import { randomBytes } from 'node:crypto';
import type { RunningApp } from '../../src/core/app/app';
import { baseUrl, startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { call, type LoggedIn, loginAs } from '../helpers/staff';

/**
 * The permission matrix of issue 4 and the own-vs-other rules of events.
 * The route list is the app's own (its OpenAPI document, built from the same
 * declarations that route and validate); the expectations are this file's.
 */

/** What each role grants, as the issue states it; `admin` holds every permission. */
const GRANTS: Record<string, readonly string[] | 'all'> = {
  cs_agent: ['cs_event.read', 'cs_event.write'],
  cs_admin: ['cs_event.read', 'cs_event.write', 'cs_event.admin'],
  risk_reviewer: ['risk.review', 'cs_event.read'],
  admin: 'all',
};

/** The permission each known route must declare; a route not listed here is held to its own declaration. */
const DECLARED: Record<string, string> = {
  'POST /api/auth/login': 'public',
  'POST /api/auth/logout': 'authenticated',
  'GET /api/auth/me': 'authenticated',
  'POST /api/cs/events': 'cs_event.write',
  'GET /api/cs/events': 'cs_event.read',
  'GET /api/cs/events/{id}': 'cs_event.read',
  'PATCH /api/cs/events/{id}': 'cs_event.write',
  'POST /api/cs/events/{id}/transition': 'cs_event.write',
  'DELETE /api/cs/events/{id}': 'cs_event.admin',
  'GET /api/cs/events/{id}/records': 'cs_event.read',
  'GET /api/cs/categories': 'cs_event.read',
  'PUT /api/cs/categories': 'cs_event.admin',
  'GET /api/cs/stats': 'cs_event.read',
};

interface Operation {
  'x-permission'?: string;
  security?: { bearer: string[] }[];
}

interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
}

interface ApiRoute {
  method: string;
  path: string;
  permission: string;
}

type Caller = 'anonymous' | 'bad token' | 'cs_agent' | 'cs_admin' | 'risk_reviewer' | 'admin';

/** An id nothing has (every path parameter gets it), so that an allowed call answers 400/404 and changes nothing. */
const MISSING_ID = 2_000_000_000;

let app: RunningApp;
let db: { database: string; drop: () => Promise<void> };
let openapi: OpenApi;
let routes: ApiRoute[];

beforeAll(async () => {
  db = await freshDatabase();
  app = await startTestApp({ mysql: { database: db.database }, redis: { key_prefix: freshRedisPrefix() } });
  openapi = (await (await fetch(`${baseUrl(app)}/openapi.json`)).json()) as OpenApi;
  routes = Object.entries(openapi.paths)
    .filter(([path]) => path.startsWith('/api/'))
    .flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({
        method: method.toUpperCase(),
        path,
        permission: String(op['x-permission']),
      })),
    );
});

afterAll(async () => {
  await app.stop();
  await db.drop();
});

/** Request headers for a caller; a role gets a staff member of its own, logged in now. */
async function headersOf(caller: Caller): Promise<Record<string, string>> {
  const json = { 'content-type': 'application/json' };
  if (caller === 'anonymous') return json;
  // Well-formed (43 base64url characters) but never issued.
  if (caller === 'bad token') return { ...json, authorization: `Bearer ${randomBytes(32).toString('base64url')}` };
  return (await loginAs(app, [caller])).headers;
}

/** What the matrix expects: allowed (any answer but 401/403), or the status and code of the refusal. */
function expected(caller: Caller, permission: string): string {
  if (permission === 'public') return 'allowed';
  if (caller === 'anonymous') return '401/900';
  if (caller === 'bad token') return '401/901';
  if (permission === 'authenticated') return 'allowed';
  const grants = GRANTS[caller];
  return grants === 'all' || grants?.includes(permission) ? 'allowed' : '403/950';
}

async function outcome(headers: Record<string, string>, route: ApiRoute): Promise<string> {
  const res = await fetch(`${baseUrl(app)}${route.path.replace(/\{\w+\}/g, String(MISSING_ID))}`, {
    method: route.method,
    headers,
    body: route.method === 'GET' || route.method === 'DELETE' ? undefined : '{}',
  });
  const body = (await res.json()) as { code: number };
  // A 5xx is not "allowed": it would hide a broken route behind the matrix.
  return res.status === 401 || res.status === 403 || res.status >= 500 ? `${res.status}/${body.code}` : 'allowed';
}

describe('the route list', () => {
  it('when the OpenAPI document is read, then every known route is there with the permission it must declare', () => {
    const declared = Object.fromEntries(routes.map((r) => [`${r.method} ${r.path}`, r.permission]));
    expect(declared).toMatchObject(DECLARED);
  });

  it('when any /api route other than login is declared, then it needs at least a logged-in caller', () => {
    const open = routes.filter((r) => r.permission === 'public').map((r) => `${r.method} ${r.path}`);
    expect(open).toEqual(['POST /api/auth/login']);
  });

  it('when the OpenAPI document is read, then secured routes name the bearer scheme and login does not', () => {
    expect(openapi.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const [path, ops] of Object.entries(openapi.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (!path.startsWith('/api/')) continue;
        const secured = op['x-permission'] !== 'public';
        expect({ route: `${method} ${path}`, security: op.security }).toEqual({
          route: `${method} ${path}`,
          security: secured ? [{ bearer: [] }] : undefined,
        });
      }
    }
  });
});

describe('the permission matrix', () => {
  const callers: Caller[] = ['anonymous', 'bad token', 'cs_agent', 'cs_admin', 'risk_reviewer', 'admin'];

  it.each(callers)('when %s calls each /api route, then it is allowed, 401 or 403 as its roles say', async (caller) => {
    const headers = await headersOf(caller);
    const actual: Record<string, string> = {};
    const wanted: Record<string, string> = {};
    // Logout ends the session the other calls use, so it goes last.
    const isLogout = (r: ApiRoute): number => (r.path === '/api/auth/logout' ? 1 : 0);
    for (const route of [...routes].sort((a, b) => isLogout(a) - isLogout(b))) {
      const key = `${route.method} ${route.path}`;
      actual[key] = await outcome(headers, route);
      wanted[key] = expected(caller, route.permission);
    }
    expect(actual).toEqual(wanted);
  });

  it('when the Authorization header is not a bearer token, then 401 with code 900', async () => {
    const res = await fetch(`${baseUrl(app)}/api/auth/me`, { headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 900, data: null });
  });
});

describe('who may change an event', () => {
  interface Event {
    id: number;
    handler_id: number;
    priority: number;
    status: string;
  }

  async function newEvent(by: LoggedIn): Promise<Event> {
    const res = await call<Event>(app, 'POST', '/api/cs/events', by, {
      user_type: 'user',
      source: 'phone',
      content: 'late delivery',
    });
    expect(res.status).toBe(201);
    return res.body.data;
  }

  let ana: LoggedIn;
  let bo: LoggedIn;
  const admins: Partial<Record<string, LoggedIn>> = {};

  beforeAll(async () => {
    ana = await loginAs(app, ['cs_agent']);
    bo = await loginAs(app, ['cs_agent']);
    admins.cs_admin = await loginAs(app, ['cs_admin']);
    admins.admin = await loginAs(app, ['admin']);
  });

  async function current(id: number): Promise<Event> {
    return (await call<Event>(app, 'GET', `/api/cs/events/${id}`, admins.admin)).body.data;
  }

  it('when an agent changes an event they handle, then it is changed', async () => {
    const event = await newEvent(ana);

    const patched = await call<Event>(app, 'PATCH', `/api/cs/events/${event.id}`, ana, { priority: 2 });
    const moved = await call<Event>(app, 'POST', `/api/cs/events/${event.id}/transition`, ana, { to: 'follow_up' });

    expect(patched.status).toBe(200);
    expect(moved.status).toBe(200);
    expect(await current(event.id)).toMatchObject({ priority: 2, status: 'follow_up', handler_id: ana.id });
  });

  it('when an agent changes an event another agent handles, then 403 with code 951 and the event is unchanged', async () => {
    const event = await newEvent(ana);

    const patched = await call(app, 'PATCH', `/api/cs/events/${event.id}`, bo, { priority: 3 });
    const moved = await call(app, 'POST', `/api/cs/events/${event.id}/transition`, bo, { to: 'done' });

    expect(patched.status).toBe(403);
    expect(patched.body).toMatchObject({ code: 951, data: null });
    expect(moved.status).toBe(403);
    expect(moved.body.code).toBe(951);
    expect(await current(event.id)).toMatchObject({ priority: event.priority, status: 'pending', handler_id: ana.id });
  });

  it('when an agent forwards an event, then the new handler may change it and the old one may not', async () => {
    const event = await newEvent(ana);

    const forwarded = await call<Event>(app, 'POST', `/api/cs/events/${event.id}/transition`, ana, {
      to: 'forward',
      handler_id: bo.id,
    });
    const byOld = await call(app, 'PATCH', `/api/cs/events/${event.id}`, ana, { priority: 3 });
    const byNew = await call<Event>(app, 'PATCH', `/api/cs/events/${event.id}`, bo, { priority: 1 });
    const closedByNew = await call<Event>(app, 'POST', `/api/cs/events/${event.id}/transition`, bo, { to: 'done' });

    expect(forwarded.status).toBe(200);
    expect(forwarded.body.data).toMatchObject({ status: 'forward', handler_id: bo.id });
    expect(byOld.status).toBe(403);
    expect(byOld.body.code).toBe(951);
    expect(byNew.status).toBe(200);
    expect(closedByNew.status).toBe(200);
    expect(await current(event.id)).toMatchObject({ priority: 1, status: 'done', handler_id: bo.id });
  });

  it.each(['cs_admin', 'admin'])(
    'when a %s changes and deletes an event an agent handles, then both succeed',
    async (role) => {
      const admin = admins[role];
      const event = await newEvent(ana);

      const patched = await call<Event>(app, 'PATCH', `/api/cs/events/${event.id}`, admin, { priority: 3 });
      const moved = await call<Event>(app, 'POST', `/api/cs/events/${event.id}/transition`, admin, { to: 'remain' });
      const deleted = await call(app, 'DELETE', `/api/cs/events/${event.id}`, admin);

      expect(patched.status).toBe(200);
      expect(patched.body.data.handler_id).toBe(ana.id);
      expect(moved.status).toBe(200);
      expect(deleted.status).toBe(200);
      expect((await call(app, 'GET', `/api/cs/events/${event.id}`, admin)).status).toBe(404);
    },
  );

  it('when an agent deletes an event they handle, then 403 with code 950 and the event is still there', async () => {
    const event = await newEvent(ana);

    const deleted = await call(app, 'DELETE', `/api/cs/events/${event.id}`, ana);

    expect(deleted.status).toBe(403);
    expect(deleted.body).toMatchObject({ code: 950, data: null });
    expect((await call(app, 'GET', `/api/cs/events/${event.id}`, ana)).status).toBe(200);
  });
});
