import { type Attributes, type FindOptions, UniqueConstraintError, type Transaction } from 'sequelize';
import { readYourWrites } from '../../../core/db/mysql';
import { UserError } from '../../../exception';
import type { CsCategoryRow, CsModels } from '../../../model/cs-event';
import type { CsCategory } from '../cs-types';

type Row = Omit<CsCategoryRow, keyof import('sequelize').Model>;

function toCategory(row: Row): CsCategory {
  return {
    id: Number(row.id),
    parent_id: Number(row.parent_id),
    level: Number(row.level),
    name: row.name,
    is_valid: Boolean(row.is_valid),
  };
}

/** Data access for cs_event_category. */
export class CsCategoryInner {
  constructor(private readonly models: CsModels) {}

  /** Every live category; `primary` reads the primary (read-your-writes). */
  async listAll(options: { primary?: boolean } = {}): Promise<CsCategory[]> {
    const query: FindOptions<Attributes<CsCategoryRow>> = {
      order: [
        ['parent_id', 'ASC'],
        ['id', 'ASC'],
      ],
      raw: true,
    };
    const rows = await this.models.CsCategory.findAll(options.primary ? readYourWrites(query) : query);
    return (rows as unknown as Row[]).map(toCategory);
  }

  async find(id: number, tx?: Transaction): Promise<CsCategory | undefined> {
    const row = await this.models.CsCategory.findOne({ where: { id }, raw: true, transaction: tx ?? null });
    return row ? toCategory(row) : undefined;
  }

  async insert(
    tx: Transaction,
    node: { parent_id: number; level: number; name: string; is_valid: boolean },
  ): Promise<number> {
    try {
      const created = await this.models.CsCategory.create(node, { transaction: tx });
      return Number(created.id);
    } catch (err) {
      if (err instanceof UniqueConstraintError) {
        throw new UserError('CS_CATEGORY_CONFLICT', { params: { name: node.name }, cause: err });
      }
      throw err;
    }
  }

  async update(tx: Transaction, id: number, values: { name?: string; is_valid?: boolean }): Promise<void> {
    try {
      await this.models.CsCategory.update(values, { where: { id }, transaction: tx });
    } catch (err) {
      if (err instanceof UniqueConstraintError) {
        throw new UserError('CS_CATEGORY_CONFLICT', { params: { name: values.name ?? String(id) }, cause: err });
      }
      throw err;
    }
  }
}
