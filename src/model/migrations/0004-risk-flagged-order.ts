import { DataTypes, type QueryInterface } from 'sequelize';

/** Flagged orders when MongoDB is not configured: the immutable order and evidence in a JSON column, the review in columns. */
export async function up(qi: QueryInterface): Promise<void> {
  await qi.createTable(
    'risk_flagged_order',
    {
      order_id: { type: DataTypes.BIGINT.UNSIGNED, primaryKey: true },
      status: { type: DataTypes.STRING(8), allowNull: false },
      /** Comma-separated rule names, for filtering. */
      rule_names: { type: DataTypes.STRING(255), allowNull: false },
      /** { order, hits } as flagged. */
      doc: { type: DataTypes.JSON, allowNull: false },
      flagged_at: { type: DataTypes.DATE(3), allowNull: false },
      reviewed_at: { type: DataTypes.DATE(3), allowNull: true },
      reviewer_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: true },
      note: { type: DataTypes.TEXT, allowNull: true },
      cs_event_id: { type: DataTypes.BIGINT.UNSIGNED, allowNull: true },
      report_status: { type: DataTypes.STRING(10), allowNull: false, defaultValue: 'none' },
    },
    { charset: 'utf8mb4', collate: 'utf8mb4_unicode_ci' },
  );
  await qi.addIndex('risk_flagged_order', ['status', 'flagged_at'], { name: 'idx_risk_status_flagged' });
  await qi.addIndex('risk_flagged_order', ['flagged_at'], { name: 'idx_risk_flagged' });
  await qi.addIndex('risk_flagged_order', ['report_status'], { name: 'idx_risk_report' });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.dropTable('risk_flagged_order');
}
