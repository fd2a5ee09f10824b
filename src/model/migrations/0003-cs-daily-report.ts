import { DataTypes, type QueryInterface } from 'sequelize';

export async function up(qi: QueryInterface): Promise<void> {
  await qi.createTable(
    'cs_daily_report',
    {
      id: { type: DataTypes.BIGINT.UNSIGNED, primaryKey: true, autoIncrement: true },
      report_date: { type: DataTypes.DATEONLY, allowNull: false },
      /** 'status' or 'category'. */
      dimension: { type: DataTypes.STRING(16), allowNull: false },
      /** A status name, or a category id ('none' for events without one). */
      dim_key: { type: DataTypes.STRING(64), allowNull: false },
      count: { type: DataTypes.INTEGER.UNSIGNED, allowNull: false },
      created_at: { type: DataTypes.DATE(3), allowNull: false },
    },
    { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
  );
  await qi.addIndex('cs_daily_report', ['report_date', 'dimension', 'dim_key'], {
    unique: true,
    name: 'uk_report_day_key',
  });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.dropTable('cs_daily_report');
}
