/** The tables and data access of a new domain: its migration, model, schemas and inner layer. */

import type { Names } from './names';

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
