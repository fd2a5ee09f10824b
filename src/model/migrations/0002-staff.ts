import { DataTypes, type QueryInterface } from 'sequelize';
import { baseColumns } from '../base';

export async function up(qi: QueryInterface): Promise<void> {
  await qi.createTable(
    'staff',
    {
      ...baseColumns,
      username: { type: DataTypes.STRING(64), allowNull: false },
      display_name: { type: DataTypes.STRING(128), allowNull: false },
      password_hash: { type: DataTypes.STRING(255), allowNull: false },
      roles: { type: DataTypes.STRING(255), allowNull: false, defaultValue: '' },
      disabled: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    },
    { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
  );
  await qi.addIndex('staff', ['username', 'deleted_id'], { unique: true, name: 'uk_staff_username' });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.dropTable('staff');
}
