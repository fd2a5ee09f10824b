import {
  type Attributes,
  type ModelAttributeColumnOptions,
  DataTypes,
  type WhereOptions,
  type ModelAttributes,
  type ModelStatic,
  type Model,
  type Sequelize,
  type Transaction,
} from 'sequelize';

/**
 * Columns every table gets: an auto-increment id, created/updated times in
 * milliseconds (UTC), and a soft delete that keeps unique keys usable:
 * `deleted_id` is 0 while the row is alive and the row's own id once
 * deleted, so a unique key declared as (key, deleted_id) is unique among
 * live rows and a deleted row never blocks a new one.
 */
export const baseColumns = {
  id: { type: DataTypes.BIGINT.UNSIGNED, primaryKey: true, autoIncrement: true },
  created_at: { type: DataTypes.DATE(3), allowNull: false },
  updated_at: { type: DataTypes.DATE(3), allowNull: false },
  deleted_at: { type: DataTypes.DATE(3), allowNull: true },
  deleted_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false, defaultValue: 0 },
};

/** The live rows only: every read of an entity table goes through this scope by default. */
export const ALIVE = { deleted_id: 0 };

/**
 * Defines an entity model on the base: base columns, snake_case, timestamps,
 * and a default scope that hides soft-deleted rows.
 */
export function defineEntity<M extends Model>(
  sequelize: Sequelize,
  table: string,
  attributes: Record<string, ModelAttributeColumnOptions>,
): ModelStatic<M> {
  return sequelize.define<M>(table, { ...baseColumns, ...attributes } as ModelAttributes<M>, {
    tableName: table,
    timestamps: true,
    createdAt: 'created_at',
    updatedAt: 'updated_at',
    // Every entity has deleted_id (from baseColumns); the generic M cannot show it.
    defaultScope: { where: ALIVE as unknown as WhereOptions<Attributes<M>> },
  });
}

/** Soft-deletes one live row in a transaction; false when it was not there or already deleted. */
export async function softDeleteById<M extends Model>(
  model: ModelStatic<M>,
  id: number,
  transaction: Transaction,
): Promise<boolean> {
  const sequelize = model.sequelize as Sequelize;
  const table = sequelize.getQueryInterface().quoteIdentifier(model.getTableName() as string);
  const [result] = await sequelize.query(
    `UPDATE ${table} SET deleted_id = id, deleted_at = NOW(3), updated_at = NOW(3) WHERE id = :id AND deleted_id = 0`,
    { replacements: { id }, transaction },
  );
  return ((result as { affectedRows?: number }).affectedRows ?? 0) === 1;
}
