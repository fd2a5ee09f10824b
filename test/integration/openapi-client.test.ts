import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import type { RunningApp } from '../../src/core/app/app';
import { baseUrl, startTestApp } from '../helpers/app';

/**
 * A front-end team's typed client, made as docs/http.md says: types from the
 * served /openapi.json by openapi-typescript's CLI, calls through
 * openapi-fetch. The client below must compile under strict TypeScript, and
 * each call marked @ts-expect-error must fail to, so the generated types
 * really say what the routes take and answer.
 */

const ROOT = path.resolve(__dirname, '../..');
const run = promisify(execFile);

const CLIENT = `
import createClient from 'openapi-fetch';
import type { components, paths } from './tandem-api';

type CsEvent = components['schemas']['CsEvent'];
type CategoryNode = components['schemas']['CsCategoryNode'];
type EventId = paths['/api/cs/events/{id}']['get']['parameters']['path']['id'];

const client = createClient<paths>({ baseUrl: 'http://127.0.0.1:8000' });

export async function walkThrough(token: string, id: EventId): Promise<string[]> {
  const headers = { authorization: 'Bearer ' + token };
  const seen: string[] = [];

  const login = await client.POST('/api/auth/login', { body: { username: 'agent.li', password: 'secret' } });
  if (login.data) seen.push(login.data.data.token, login.data.data.staff.username);
  if (login.error) seen.push(String(login.error.code), login.error.msg, login.error.request_id);

  const created = await client.POST('/api/cs/events', {
    headers,
    body: { user_type: 'user', source: 'phone', content: 'The rider was rude.' },
  });
  if (created.data) {
    const event: CsEvent = created.data.data;
    const status: 'pending' | 'remain' | 'follow_up' | 'forward' | 'done' = event.status;
    const orderId: string | null = event.order_id;
    seen.push(status, String(orderId));
  }

  const moved = await client.POST('/api/cs/events/{id}/transition', {
    headers,
    params: { path: { id } },
    body: { to: 'forward', handler_id: 42 },
  });
  if (moved.error) seen.push(String(moved.error.code));

  const tree = await client.GET('/api/cs/categories', { headers });
  const first: CategoryNode | undefined = tree.data?.data[0];
  const grandchildren: CategoryNode[] | undefined = first?.children[0]?.children;
  seen.push(String(grandchildren?.length));

  const page = await client.GET('/api/cs/events', { headers, params: { query: { page_size: 20 } } });
  if (page.data) {
    const next: string | null = page.data.data.next_cursor;
    const exact: boolean = page.data.data.total_is_exact;
    const number: number | null = page.data.data.page;
    seen.push(String(exact), String(number));
    if (next) await client.GET('/api/cs/events', { headers, params: { query: { cursor: next } } });
    // @ts-expect-error: next_cursor is a string or null, never a number.
    const wrong: number = page.data.data.next_cursor;
    seen.push(String(wrong));
  }

  const stats = await client.GET('/api/cs/stats', { headers });
  if (stats.data) seen.push(String(stats.data.data.pending + stats.data.data.done));

  // @ts-expect-error: user_type is an enum and 'nobody' is not in it.
  await client.POST('/api/cs/events', { headers, body: { user_type: 'nobody', source: 'phone', content: 'x' } });
  // @ts-expect-error: content is required.
  await client.POST('/api/cs/events', { headers, body: { user_type: 'user', source: 'phone' } });
  // @ts-expect-error: there is no such route.
  await client.GET('/api/cs/nowhere', { headers });
  // @ts-expect-error: the event has no field 'secret'.
  seen.push(String(created.data?.data.secret));

  return seen;
}
`;

let app: RunningApp;
let dir: string;

beforeAll(async () => {
  app = await startTestApp();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-client-'));
});

afterAll(async () => {
  await app.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function compile(entries: string[]): string[] {
  const program = ts.createProgram(entries, {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
    // The client lives outside the repository, as a front-end project would: openapi-fetch comes from ours.
    paths: { 'openapi-fetch': [path.join(ROOT, 'node_modules/openapi-fetch')] },
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map(
      (d) => `${d.file ? path.basename(d.file.fileName) : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
    );
}

describe('a typed client generated from /openapi.json', () => {
  it('when openapi-typescript generates types and a client uses them, then it compiles and the wrong calls do not', async () => {
    const document = await (await fetch(`${baseUrl(app)}/openapi.json`)).text();
    fs.writeFileSync(path.join(dir, 'openapi.json'), document);

    const cli = path.join(ROOT, 'node_modules/openapi-typescript/bin/cli.js');
    await run(process.execPath, [cli, path.join(dir, 'openapi.json'), '-o', path.join(dir, 'tandem-api.ts')], {
      timeout: 60_000,
    });
    fs.writeFileSync(path.join(dir, 'client.ts'), CLIENT);
    // The guard: one wrong call made right. A generator that typed everything as any would pass client.ts alone.
    fs.writeFileSync(path.join(dir, 'client-guard.ts'), CLIENT.replace("user_type: 'nobody'", "user_type: 'user'"));
    const generated = fs.readFileSync(path.join(dir, 'tandem-api.ts'), 'utf8');
    const diagnostics = compile([path.join(dir, 'client.ts'), path.join(dir, 'client-guard.ts')]);

    expect(generated).toContain('"/api/cs/events/{id}/transition"');
    expect(generated).toMatch(/CsCategoryNode: \{[\s\S]*?children: components\["schemas"\]\["CsCategoryNode"\]\[\]/);
    expect(diagnostics.filter((d) => d.startsWith('client.ts'))).toEqual([]);
    expect(diagnostics.filter((d) => d.startsWith('client-guard.ts'))).toEqual([
      expect.stringMatching(/Unused '@ts-expect-error' directive/),
    ]);
  }, 120_000);
});
