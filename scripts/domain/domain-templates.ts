/** The domain itself: its service, access, operations, composition and CONTEXT.md. */

import type { Names } from './names';

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
