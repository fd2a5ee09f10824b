/** The doors of a new domain: its routes, Thrift adapter, IDL block and error codes. */

import type { Names } from './names';

const THROWS =
  'throws (1: UserException user_error, 2: AuthException auth_error, 3: ServerException server_error, 4: ThirdPartyException third_party_error)';

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
