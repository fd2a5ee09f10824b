import { DataTypes, type QueryInterface } from 'sequelize';

/**
 * A request key belongs to whoever sent it: `request_scope` names them
 * (`staff:7`, `service:order`), and a key is unique within its scope only.
 * Rows from before keep the empty scope, which no new create uses.
 */
export async function up(qi: QueryInterface): Promise<void> {
  await qi.addColumn('cs_event', 'request_scope', {
    type: DataTypes.STRING(100),
    allowNull: false,
    defaultValue: '',
  });
  await qi.addIndex('cs_event', ['request_scope', 'request_key', 'deleted_id'], {
    unique: true,
    name: 'uk_event_scope_request_key',
  });
  await qi.removeIndex('cs_event', 'uk_event_request_key');
}

/** Fails if two scopes used one key since: the old index cannot hold both. */
export async function down(qi: QueryInterface): Promise<void> {
  await qi.addIndex('cs_event', ['request_key', 'deleted_id'], { unique: true, name: 'uk_event_request_key' });
  await qi.removeIndex('cs_event', 'uk_event_scope_request_key');
  await qi.removeColumn('cs_event', 'request_scope');
}
