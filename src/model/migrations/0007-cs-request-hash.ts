import { DataTypes, type QueryInterface } from 'sequelize';

/**
 * An event created with a request key keeps the SHA-256 of the request it
 * was created from (`request_hash`, hex), so that a reuse of the key with a
 * different request is refused (409, code 1107) instead of answered with an
 * event that is not the one asked for. Rows from before, and events made
 * without a key, keep NULL: a retry of such a key is answered as before.
 * Expand-only: a release that does not write the column still inserts.
 */
export async function up(qi: QueryInterface): Promise<void> {
  await qi.addColumn('cs_event', 'request_hash', { type: DataTypes.CHAR(64), allowNull: true, defaultValue: null });
}

export async function down(qi: QueryInterface): Promise<void> {
  await qi.removeColumn('cs_event', 'request_hash');
}
