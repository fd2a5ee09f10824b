/** The tests a new domain starts with: one over its service, one over both doors. */

import type { Names } from './names';

export function integrationTest(n: Names): string {
  return `import type { RunningApp } from '../../src/core/app/app';
import { UserError } from '../../src/exception';
import { domainsOf } from '../../src/modules';
import { startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';

/** The ${n.snake} service against the real MariaDB, in a database of this file's own. */

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

const items = () => domainsOf(app.resources).${n.camel}.items;

it('when an item is created, then it is read back as it was written, with its creator', async () => {
  const created = await items().create({ id: 7 }, { title: 'First', body: 'Its body.' });

  expect(await items().get(created.id)).toEqual(created);
  expect(created).toMatchObject({ title: 'First', body: 'Its body.', created_by: 7 });
});

it('when an id does not exist, then get raises ${n.upper}_ITEM_NOT_FOUND (${n.codeBase})', async () => {
  await expect(items().get(999_999_999)).rejects.toMatchObject({
    constructor: UserError,
    errorName: '${n.upper}_ITEM_NOT_FOUND',
    code: ${n.codeBase},
  });
});

it('when 5 items are listed 2 at a time, then the pages hold each once, newest first, and the last page has no cursor', async () => {
  const made: number[] = [];
  for (let i = 0; i < 5; i += 1) made.push((await items().create({ id: 1 }, { title: \`Item \${i}\`, body: '' })).id);
  const seen: number[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 10; pages += 1) {
    const page = await items().list(cursor, 2);
    seen.push(...page.items.map((item) => item.id));
    if (page.next_cursor === null) break;
    cursor = page.next_cursor;
  }
  const mine = seen.filter((id) => made.includes(id));
  expect(mine).toEqual([...made].reverse());
  expect(new Set(seen).size).toBe(seen.length);
});
`;
}

export function e2eTest(n: Names): string {
  return `import Int64 from 'node-int64';
import type { RunningApp } from '../../src/core/app/app';
import type { ${n.pascal}Item } from '../../src/service/${n.kebab}/${n.kebab}-schemas';
import { Create${n.pascal}ItemRequest, UserException } from '../../thrift/gen-nodejs/tandem_types';
import { startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { call, type LoggedIn, loginAs } from '../helpers/staff';
import { type ConnectedClient, tandemClient } from '../helpers/thrift-client';
import type { Client as TandemClient } from '../../thrift/gen-nodejs/Tandem';

/** The ${n.snake} domain through both doors: HTTP with a session, Thrift with a real client, over real sockets. */

let app: RunningApp;
let db: { database: string; drop: () => Promise<void> };
let thrift: ConnectedClient<TandemClient>;
let editor: LoggedIn;

beforeAll(async () => {
  db = await freshDatabase();
  app = await startTestApp({ mysql: { database: db.database }, redis: { key_prefix: freshRedisPrefix() } });
  thrift = await tandemClient(app.thrift.port);
  editor = await loginAs(app, ['${n.snake}_editor']);
});

afterAll(async () => {
  thrift.close();
  await app.stop();
  await db.drop();
});

it('when an editor creates an item over HTTP, then 201 with the item, and GET reads the same', async () => {
  const created = await call<${n.pascal}Item>(app, 'POST', '/api/${n.kebab}/items', editor, { title: 'Over HTTP' });

  expect(created.status).toBe(201);
  expect(created.body.data).toMatchObject({ title: 'Over HTTP', body: '', created_by: editor.id });
  const read = await call<${n.pascal}Item>(app, 'GET', \`/api/${n.kebab}/items/\${created.body.data.id}\`, editor);
  expect(read.body.data).toEqual(created.body.data);
});

it('when the title is missing or too long, then 400 with code 1001 naming body.title', async () => {
  for (const body of [{}, { title: 'x'.repeat(201) }]) {
    const res = await call(app, 'POST', '/api/${n.kebab}/items', editor, body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(1001);
    expect(res.body.msg).toContain('body.title');
  }
});

it('when nobody is logged in, then 401; when the role lacks ${n.snake}.read, then 403', async () => {
  expect((await call(app, 'GET', '/api/${n.kebab}/items')).status).toBe(401);
  const stranger = await loginAs(app, ['cs_agent']);
  const res = await call(app, 'GET', '/api/${n.kebab}/items', stranger);
  expect(res.status).toBe(403);
  expect(res.body.code).toBe(950);
});

it('when a sibling creates an item over Thrift, then HTTP reads the same item, and an unknown id is UserException ${n.codeBase} on both doors', async () => {
  const created = await thrift.client.create_${n.snake}_item(new Create${n.pascal}ItemRequest({ title: 'Over Thrift', body: 'From a sibling.' }));
  const id = created.id.toNumber();

  const read = await call<${n.pascal}Item>(app, 'GET', \`/api/${n.kebab}/items/\${id}\`, editor);
  expect(read.body.data).toMatchObject({ id, title: 'Over Thrift', body: 'From a sibling.', created_by: 0 });
  const again = await thrift.client.get_${n.snake}_item(new Int64(id));
  expect(again.title).toBe('Over Thrift');

  await expect(thrift.client.get_${n.snake}_item(new Int64(999_999_999))).rejects.toMatchObject({
    constructor: UserException,
    code: ${n.codeBase},
  });
  const missing = await call(app, 'GET', '/api/${n.kebab}/items/999999999', editor);
  expect(missing.status).toBe(404);
  expect(missing.body.code).toBe(${n.codeBase});
});

it('when a Thrift create has no title, then UserException 1001 names request.title', async () => {
  // The title left out, as a careless caller might: the generated constructor's type requires it.
  const untitled = new Create${n.pascal}ItemRequest({} as { title: string });
  await expect(thrift.client.create_${n.snake}_item(untitled)).rejects.toMatchObject({
    constructor: UserException,
    code: 1001,
    message: expect.stringContaining('request.title') as unknown,
  });
});
`;
}
