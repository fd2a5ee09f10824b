import { DataTypes, type QueryInterface } from 'sequelize';
import { baseColumns } from '../base';

const now = { type: DataTypes.DATE(3), allowNull: false };

export async function up(qi: QueryInterface): Promise<void> {
  await qi.createTable(
    'cs_event_category',
    {
      ...baseColumns,
      parent_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false, defaultValue: 0 },
      level: { type: DataTypes.TINYINT.UNSIGNED, allowNull: false },
      name: { type: DataTypes.STRING(64), allowNull: false },
      is_valid: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
    },
    { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
  );
  await qi.addIndex('cs_event_category', ['parent_id', 'name', 'deleted_id'], {
    unique: true,
    name: 'uk_category_parent_name',
  });

  await qi.createTable(
    'cs_event',
    {
      ...baseColumns,
      user_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: true },
      user_type: { type: DataTypes.STRING(16), allowNull: false },
      phone: { type: DataTypes.STRING(32), allowNull: false, defaultValue: '' },
      order_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: true },
      source: { type: DataTypes.STRING(16), allowNull: false },
      category_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: true },
      priority: { type: DataTypes.TINYINT.UNSIGNED, allowNull: false, defaultValue: 0 },
      status: { type: DataTypes.STRING(16), allowNull: false },
      creator_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false },
      handler_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false },
      compensation: { type: DataTypes.DECIMAL(12, 2), allowNull: false, defaultValue: 0 },
      content: { type: DataTypes.TEXT, allowNull: false },
      request_key: { type: DataTypes.STRING(64), allowNull: true },
    },
    { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
  );
  await qi.addIndex('cs_event', ['deleted_id', 'status', 'updated_at'], { name: 'idx_event_status_updated' });
  await qi.addIndex('cs_event', ['deleted_id', 'updated_at'], { name: 'idx_event_updated' });
  await qi.addIndex('cs_event', ['handler_id', 'deleted_id'], { name: 'idx_event_handler' });
  await qi.addIndex('cs_event', ['user_id'], { name: 'idx_event_user' });
  await qi.addIndex('cs_event', ['phone'], { name: 'idx_event_phone' });
  await qi.addIndex('cs_event', ['category_id'], { name: 'idx_event_category' });
  await qi.addIndex('cs_event', ['created_at'], { name: 'idx_event_created' });
  await qi.addIndex('cs_event', ['request_key', 'deleted_id'], { unique: true, name: 'uk_event_request_key' });

  await qi.createTable(
    'cs_event_record',
    {
      id: { type: DataTypes.BIGINT.UNSIGNED, primaryKey: true, autoIncrement: true },
      event_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false },
      actor_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false },
      action: { type: DataTypes.STRING(16), allowNull: false },
      from_status: { type: DataTypes.STRING(16), allowNull: true },
      to_status: { type: DataTypes.STRING(16), allowNull: false },
      handler_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: false },
      content: { type: DataTypes.TEXT, allowNull: false },
      created_at: now,
    },
    { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
  );
  await qi.addIndex('cs_event_record', ['event_id', 'id'], { name: 'idx_record_event' });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.dropTable('cs_event_record');
  await qi.dropTable('cs_event');
  await qi.dropTable('cs_event_category');
}
