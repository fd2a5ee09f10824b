import { DataTypes, type QueryInterface } from 'sequelize';

/**
 * A timeline record names the sibling service a change came through (`via`),
 * next to the staff member it acted for (`actor_id`): "staff 5, via
 * order-service" is told from "staff 5, in the back office" (empty). Rows
 * from before keep the empty value. Expand-only: a release without the
 * column's writer still inserts (the default fills it).
 */
export async function up(qi: QueryInterface): Promise<void> {
  await qi.addColumn('cs_event_record', 'via', {
    type: DataTypes.STRING(100),
    allowNull: false,
    defaultValue: '',
  });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.removeColumn('cs_event_record', 'via');
}
