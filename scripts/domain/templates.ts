/**
 * The files `make domain NAME=...` writes for a new domain: an item table
 * with a title and a body, created and read over HTTP and Thrift, listed by
 * cursor over HTTP. The business logic is the new domain's to grow; the
 * wiring, the permissions, the codes, the IDL and the tests are done.
 */

/** The spellings of one domain name. */
export interface Names {
  /** snake_case, as given: `order_notes` (tables, permissions, Thrift methods). */
  snake: string;
  /** kebab-case: `order-notes` (files, folders, URL paths). */
  kebab: string;
  /** camelCase: `orderNotes` (variables, the Domains field). */
  camel: string;
  /** PascalCase: `OrderNotes` (types, IDL structs). */
  pascal: string;
  /** UPPER_SNAKE: `ORDER_NOTES` (error names). */
  upper: string;
  /** The first code of the domain's block of UserError codes. */
  codeBase: number;
  /** The migration's name: `0009-order-notes`. */
  migration: string;
}

export function namesOf(snake: string, codeBase: number, migrationNumber: number): Names {
  const parts = snake.split('_');
  const pascal = parts.map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');
  return {
    snake,
    kebab: parts.join('-'),
    camel: pascal.charAt(0).toLowerCase() + pascal.slice(1),
    pascal,
    upper: snake.toUpperCase(),
    codeBase,
    migration: `${String(migrationNumber).padStart(4, '0')}-${parts.join('-')}`,
  };
}

const THROWS =
  'throws (1: UserException user_error, 2: AuthException auth_error, 3: ServerException server_error, 4: ThirdPartyException third_party_error)';

export function migration(n: Names): string {
  return `import { DataTypes, type QueryInterface } from 'sequelize';

/** The ${n.snake} domain's items (expand-only: a new table). */
export async function up(qi: QueryInterface): Promise<void> {
  await qi.createTable(
    '${n.snake}_item',
    {
      id: { type: DataTypes.BIGINT.UNSIGNED, primaryKey: true, autoIncrement: true },
      title: { type: DataTypes.STRING(200), allowNull: false },
      body: { type: DataTypes.TEXT, allowNull: false },
      /** The staff member who created it, or 0 for a sibling service. */
      created_by: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false },
      created_at: { type: DataTypes.DATE(3), allowNull: false },
      updated_at: { type: DataTypes.DATE(3), allowNull: false },
      deleted_at: { type: DataTypes.DATE(3), allowNull: true },
      deleted_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false, defaultValue: 0 },
    },
    { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
  );
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.dropTable('${n.snake}_item');
}
`;
}

export function model(n: Names): string {
  return `import {
  DataTypes,
  type CreationOptional,
  type InferAttributes,
  type InferCreationAttributes,
  Model,
  type ModelStatic,
  type Sequelize,
} from 'sequelize';
import { defineEntity } from './base';

export interface ${n.pascal}ItemRow
  extends Model<InferAttributes<${n.pascal}ItemRow>, InferCreationAttributes<${n.pascal}ItemRow>> {
  id: CreationOptional<number>;
  title: string;
  body: string;
  created_by: number;
  created_at: CreationOptional<Date>;
  updated_at: CreationOptional<Date>;
  deleted_at: CreationOptional<Date | null>;
  deleted_id: CreationOptional<string>;
}

/** The ${n.snake} domain's items (see migrations/${n.migration}). */
export function define${n.pascal}ItemModel(sequelize: Sequelize): ModelStatic<${n.pascal}ItemRow> {
  return defineEntity<${n.pascal}ItemRow>(sequelize, '${n.snake}_item', {
    title: { type: DataTypes.STRING(200), allowNull: false },
    body: { type: DataTypes.TEXT, allowNull: false },
    created_by: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false },
  });
}
`;
}

export function schemas(n: Names): string {
  return `import { z } from 'zod';

/** One item, as both doors return it. */
export const ${n.camel}ItemSchema = z
  .object({
    id: z.number().int(),
    title: z.string(),
    body: z.string(),
    created_by: z.number().int(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: '${n.pascal}Item' });

/** What a caller gives to create an item, over HTTP (the body) and Thrift (the request struct). */
export const create${n.pascal}ItemInput = z.strictObject({
  title: z.string().trim().min(1).max(200),
  body: z.string().max(10000).default(''),
});

/** One item by id, as a sibling's i64 decodes (the HTTP door checks a path's text with its own rule first). */
export const ${n.camel}ItemIdInput = z.strictObject({
  id: z.number().int().min(1, 'expected a positive id').max(Number.MAX_SAFE_INTEGER),
});

/** The most items one page holds. */
export const ${n.upper}_MAX_PAGE_SIZE = 100;

export const ${n.camel}PageSchema = z.object({
  items: z.array(${n.camel}ItemSchema),
  next_cursor: z.string().nullable().describe('Pass it back as cursor for the next page; null on the last.'),
});

export type ${n.pascal}Item = z.infer<typeof ${n.camel}ItemSchema>;
export type Create${n.pascal}ItemInput = z.infer<typeof create${n.pascal}ItemInput>;
export type ${n.pascal}Page = z.infer<typeof ${n.camel}PageSchema>;
`;
}

export function inner(n: Names): string {
  return `import { type ModelStatic, Op } from 'sequelize';
import type { ${n.pascal}ItemRow } from '../../../model/${n.kebab}';

/** One row as a plain record (the service's \`${n.pascal}Item\` has the same shape). */
export interface ${n.pascal}ItemRecord {
  id: number;
  title: string;
  body: string;
  created_by: number;
  created_at: string;
  updated_at: string;
}

type Row = Pick<${n.pascal}ItemRow, 'id' | 'title' | 'body' | 'created_by' | 'created_at' | 'updated_at'>;

function toItem(row: Row): ${n.pascal}ItemRecord {
  return {
    id: Number(row.id),
    title: row.title,
    body: row.body,
    created_by: Number(row.created_by),
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
  };
}

/** Data access for the ${n.snake}_item table: plain records out, no business rule. */
export class ${n.pascal}Inner {
  constructor(private readonly Item: ModelStatic<${n.pascal}ItemRow>) {}

  async insert(values: { title: string; body: string; created_by: number }): Promise<${n.pascal}ItemRecord> {
    const row = await this.Item.create(values);
    return toItem(row.get({ plain: true }));
  }

  async findById(id: number): Promise<${n.pascal}ItemRecord | undefined> {
    const row = await this.Item.findOne({ where: { id }, raw: true });
    return row ? toItem(row) : undefined;
  }

  /** Newest first: the items with an id below \`before\` (all when undefined), at most \`limit\`. */
  async listBefore(before: number | undefined, limit: number): Promise<${n.pascal}ItemRecord[]> {
    const rows = await this.Item.findAll({
      where: before === undefined ? {} : { id: { [Op.lt]: before } },
      order: [['id', 'DESC']],
      limit,
      raw: true,
    });
    return rows.map(toItem);
  }
}
`;
}

export function service(n: Names): string {
  return `import { UserError } from '../../exception';
import type { ${n.pascal}Inner } from './inner/${n.kebab}-inner';
import type { Create${n.pascal}ItemInput, ${n.pascal}Item, ${n.pascal}Page } from './${n.kebab}-schemas';

/** Who acts: a staff member's id, or 0 for a sibling service. */
export interface ${n.pascal}Actor {
  id: number;
}

/** The ${n.snake} domain's rules. Both doors call these same functions. */
export class ${n.pascal}Service {
  constructor(private readonly inner: ${n.pascal}Inner) {}

  create(actor: ${n.pascal}Actor, input: Create${n.pascal}ItemInput): Promise<${n.pascal}Item> {
    return this.inner.insert({ title: input.title, body: input.body, created_by: actor.id });
  }

  async get(id: number): Promise<${n.pascal}Item> {
    const item = await this.inner.findById(id);
    if (!item) throw new UserError('${n.upper}_ITEM_NOT_FOUND', { params: { id } });
    return item;
  }

  /** A page of items, newest first; the cursor is the opaque place after the last item given. */
  async list(cursor: string | undefined, pageSize: number): Promise<${n.pascal}Page> {
    const before = cursor === undefined ? undefined : decodeCursor(cursor);
    const items = await this.inner.listBefore(before, pageSize + 1);
    const page = items.slice(0, pageSize);
    const last = page[page.length - 1];
    return { items: page, next_cursor: items.length > pageSize && last ? encodeCursor(last.id) : null };
  }
}

function encodeCursor(id: number): string {
  return Buffer.from(\`${n.snake}:\${id}\`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const match = /^${n.snake}:([1-9][0-9]{0,15})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) {
    throw new UserError('VALIDATION_FAILED', {
      params: { fields: 'cursor (not a cursor this list gave)' },
      fields: [{ field: 'query.cursor', message: 'not a cursor this list gave' }],
    });
  }
  return Number(match[1]);
}
`;
}

export function access(n: Names): string {
  return `import type { AccessDeclaration } from '../../core/auth/permissions';

/** The ${n.snake} domain's permissions and the role that holds them. */
export const ${n.camel}Access: AccessDeclaration = {
  permissions: {
    '${n.snake}.read': 'Read ${n.snake.replace(/_/g, ' ')} items.',
    '${n.snake}.write': 'Create ${n.snake.replace(/_/g, ' ')} items.',
  },
  roles: { ${n.snake}_editor: ['${n.snake}.read', '${n.snake}.write'] },
};
`;
}

export function operations(n: Names): string {
  return `import { defineOperation } from '../../core/pipeline';
import type { ${n.pascal}Actor, ${n.pascal}Service } from './${n.kebab}-service';
import { create${n.pascal}ItemInput, ${n.camel}ItemIdInput, ${n.camel}ItemSchema } from './${n.kebab}-schemas';

/**
 * The ${n.snake} operations both doors serve, each declared once: its name (the
 * Thrift method's), schemas, permission, codes and handler. The routes and the
 * Thrift adapter bind them; the IDL agreement test checks the IDL against them.
 */
export function ${n.camel}Operations(items: ${n.pascal}Service) {
  return {
    createItem: defineOperation({
      name: 'create_${n.snake}_item',
      summary: 'Create an item.',
      permission: '${n.snake}.write',
      input: create${n.pascal}ItemInput,
      output: ${n.camel}ItemSchema,
      handler: (actor: ${n.pascal}Actor, input) => items.create(actor, input),
    }),
    getItem: defineOperation({
      name: 'get_${n.snake}_item',
      summary: 'One item.',
      permission: '${n.snake}.read',
      input: ${n.camel}ItemIdInput,
      output: ${n.camel}ItemSchema,
      errors: ['${n.upper}_ITEM_NOT_FOUND'],
      handler: (_actor: ${n.pascal}Actor, { id }) => items.get(id),
    }),
  };
}

export type ${n.pascal}Operations = ReturnType<typeof ${n.camel}Operations>;
`;
}

export function domainIndex(n: Names): string {
  return `import type { Sequelize } from 'sequelize';
import { define${n.pascal}ItemModel } from '../../model/${n.kebab}';
import { ${n.pascal}Inner } from './inner/${n.kebab}-inner';
import { type ${n.pascal}Operations, ${n.camel}Operations } from './${n.kebab}-operations';
import { ${n.pascal}Service } from './${n.kebab}-service';

export interface ${n.pascal}Domain {
  items: ${n.pascal}Service;
  /** What both doors serve, declared once (${n.kebab}-operations.ts). */
  operations: ${n.pascal}Operations;
}

/** The one place that builds the ${n.snake} domain. */
export function create${n.pascal}Domain(sequelize: Sequelize): ${n.pascal}Domain {
  const items = new ${n.pascal}Service(new ${n.pascal}Inner(define${n.pascal}ItemModel(sequelize)));
  return { items, operations: ${n.camel}Operations(items) };
}

export type { ${n.pascal}Service } from './${n.kebab}-service';
`;
}

export function context(n: Names): string {
  return `# ${n.snake}

Written by \`make domain NAME=${n.snake}\`. Say here, in a few lines, what this domain is for and who uses it.

## Words

- **item** (\`${n.snake}_item\`): a title and a body, with who created it and when.

## Files

| file | holds |
| --- | --- |
| \`index.ts\` | \`create${n.pascal}Domain\`: builds the service |
| \`${n.kebab}-access.ts\` | the permissions \`${n.snake}.read\`, \`${n.snake}.write\` and the role \`${n.snake}_editor\` |
| \`${n.kebab}-schemas.ts\` | the shapes, declared once: types, validation, the OpenAPI document and Thrift decoding use them |
| \`${n.kebab}-operations.ts\` | create and get, declared once for both doors: name, schemas, permission, codes, handler |
| \`${n.kebab}-service.ts\` | the rules: create, get, list |
| \`inner/${n.kebab}-inner.ts\` | data access only |

Its doors: \`src/api/${n.kebab}/${n.kebab}-routes.ts\` (\`/api/${n.kebab}/items\`), \`src/thrift/${n.kebab}.ts\`
(\`create_${n.snake}_item\`, \`get_${n.snake}_item\` in \`thrift/tandem.thrift\`). Its codes: the
\`${n.upper}_*\` block (${n.codeBase}–${n.codeBase + 99}) of \`src/exception/error_code.ts\`. Its table: migration
\`${n.migration}\`. Its tests: \`test/integration/${n.kebab}.test.ts\`, \`test/e2e/${n.kebab}-doors.test.ts\`.

## Bounds

- It may read and write its own table.
- Nothing in it knows Express, Thrift, Bull or an HTTP status.
`;
}

export function routes(n: Names): string {
  return `import { z } from 'zod';
import { defineRoute, operationRoute, type Route } from '../../core/api/route';
import { registerHttpStatus } from '../../core/response/http-status';
import type { ${n.pascal}Domain } from '../../service/${n.kebab}';
import { ${n.upper}_MAX_PAGE_SIZE, ${n.camel}PageSchema } from '../../service/${n.kebab}/${n.kebab}-schemas';
import { decimalId } from '../../core/validation';

registerHttpStatus({ ${n.upper}_ITEM_NOT_FOUND: 404 });

const tags = ['${n.snake}'];

/** The ${n.snake} routes: the domain's operations bound to paths, and the list. */
export function ${n.camel}Routes(domain: ${n.pascal}Domain): Route[] {
  return [
    operationRoute(domain.operations.createItem, {
      method: 'post',
      path: '/api/${n.kebab}/items',
      input: 'body',
      actor: (ctx) => ({ id: ctx.staff?.id ?? 0 }),
      tags,
      status: 201,
      example: { title: 'A first item', body: 'What it says.' },
    }),
    operationRoute(domain.operations.getItem, {
      method: 'get',
      path: '/api/${n.kebab}/items/:id',
      input: { params: z.object({ id: decimalId }) },
      actor: (ctx) => ({ id: ctx.staff?.id ?? 0 }),
      tags,
    }),
    defineRoute({
      method: 'get',
      path: '/api/${n.kebab}/items',
      summary: 'Items, newest first, a page at a time.',
      tags,
      permission: '${n.snake}.read',
      query: z.strictObject({
        cursor: z.string().min(1).max(200).optional(),
        page_size: z.coerce.number().int().min(1).max(${n.upper}_MAX_PAGE_SIZE).default(20),
      }),
      response: ${n.camel}PageSchema,
      handler: ({ query }) => domain.items.list(query.cursor, query.page_size),
    }),
  ];
}
`;
}

export function thriftAdapter(n: Names): string {
  return `import type Int64 from 'node-int64';
import { currentContext } from '../core/ctx';
import { i64ToNumber, numberToI64, operationMethod } from '../core/rpc';
import type { ${n.pascal}Domain } from '../service/${n.kebab}';
import type { ${n.pascal}Item as DomainItem } from '../service/${n.kebab}/${n.kebab}-schemas';
import { ${n.pascal}Item, type Create${n.pascal}ItemRequest } from '../../thrift/gen-nodejs/tandem_types';

function toIdl(item: DomainItem): ${n.pascal}Item {
  return new ${n.pascal}Item({ ...item, id: numberToI64(item.id), created_by: numberToI64(item.created_by) });
}

/** The ${n.snake} methods of service Tandem: decode IDL input, run the domain's operation, encode its answer. */
export function ${n.camel}ThriftMethods(domain: ${n.pascal}Domain) {
  const createItem = operationMethod(domain.operations.createItem, { part: 'request', encode: toIdl });
  const getItem = operationMethod(domain.operations.getItem, { part: '', encode: toIdl });
  // A sibling service acts as the system (0); its name is on the call's context for the logs.
  const actor = () => ({ id: currentContext()?.staff?.id ?? 0 });
  return {
    create_${n.snake}_item: (request: Create${n.pascal}ItemRequest) =>
      createItem({ title: request.title, body: request.body ?? undefined }, actor()),
    get_${n.snake}_item: (id: Int64) => getItem({ id: i64ToNumber(id, 'id') }, actor()),
  };
}
`;
}

export function idlStructs(n: Names): string {
  return `/** An item of the ${n.snake} domain. Times are ISO 8601 in UTC. */
struct ${n.pascal}Item {
  1: i64 id,
  2: string title,
  3: string body,
  /** The staff member who created it, or 0 for a sibling service. */
  4: i64 created_by,
  5: string created_at,
  6: string updated_at,
}

struct Create${n.pascal}ItemRequest {
  /** 1 to 200 characters. */
  1: string title,
  /** Up to 10,000 characters; empty when left out. */
  2: optional string body,
}

`;
}

export function idlMethods(n: Names): string {
  return `  ${n.pascal}Item create_${n.snake}_item(1: Create${n.pascal}ItemRequest request)
    ${THROWS},

  /** UserException ${n.codeBase} when there is no such item. */
  ${n.pascal}Item get_${n.snake}_item(1: i64 id)
    ${THROWS},

`;
}

export function errorBlock(n: Names): string {
  return `  // User: ${n.snake} (${n.codeBase}–${n.codeBase + 99}).
  ${n.upper}_ITEM_NOT_FOUND: { code: ${n.codeBase}, message: 'Item {id} of ${n.snake} was not found.' },

`;
}

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
