import type { QueryInterface } from 'sequelize';

/**
 * The indexes that serve each documented filter of the event list in the
 * list's own order, so that a page reads a page of index entries instead of
 * sorting every matching row (docs/http.md, Listing events):
 *
 * - sorted by last update (updated_at DESC, id DESC; InnoDB appends the
 *   primary key `id` to every secondary index): one index per filter, and
 *   handler + status and status + priority for the back office's usual
 *   combinations ("my open events", "urgent pending events", and the stale
 *   escalation's walk);
 * - sorted by creation (created_at DESC, id DESC), which a list with a
 *   created_from / created_to range uses: alone and with status (the daily
 *   report counts per status and day on it too).
 *
 * `has_compensation` is a VIRTUAL generated column (compensation > 0): added
 * without touching the rows (ALGORITHM=INSTANT), it lets "compensated or
 * not" be an equality in front of updated_at.
 *
 * Expand only, online: the column is instant and the indexes are built with
 * ALGORITHM=INPLACE, LOCK=NONE in one statement (one read of the table),
 * while inserts and updates go on; a release without this migration's
 * readers runs on the new schema unchanged. On a 10,000,000-row cs_event
 * it took 286.5 s (make bench-scale, 2 cores shared with other work, a
 * 128 MB buffer pool; 25.4 s on 1,000,000 rows); LOCK=NONE means MariaDB
 * would refuse the statement rather than block writes while it runs.
 * The older single-column indexes it makes redundant (idx_event_handler,
 * idx_event_user, idx_event_phone, idx_event_category, idx_event_created)
 * are dropped by the contract migration 0010, which no release since this
 * one reads through.
 */
export const CS_LIST_INDEXES: Record<string, string[]> = {
  idx_event_handler_status_updated: ['deleted_id', 'handler_id', 'status', 'updated_at'],
  idx_event_handler_updated: ['deleted_id', 'handler_id', 'updated_at'],
  idx_event_status_priority_updated: ['deleted_id', 'status', 'priority', 'updated_at'],
  idx_event_priority_updated: ['deleted_id', 'priority', 'updated_at'],
  idx_event_category_updated: ['deleted_id', 'category_id', 'updated_at'],
  idx_event_source_updated: ['deleted_id', 'source', 'updated_at'],
  idx_event_user_type_updated: ['deleted_id', 'user_type', 'updated_at'],
  idx_event_phone_updated: ['deleted_id', 'phone', 'updated_at'],
  idx_event_user_updated: ['deleted_id', 'user_id', 'updated_at'],
  idx_event_compensated_updated: ['deleted_id', 'has_compensation', 'updated_at'],
  idx_event_live_created: ['deleted_id', 'created_at'],
  idx_event_status_created: ['deleted_id', 'status', 'created_at'],
};

export async function up(qi: QueryInterface): Promise<void> {
  const db = qi.sequelize;
  await db.query(
    'ALTER TABLE cs_event ADD COLUMN has_compensation TINYINT(1) AS (compensation > 0) VIRTUAL, ALGORITHM=INSTANT',
  );
  const adds = Object.entries(CS_LIST_INDEXES).map(([name, columns]) => `ADD INDEX ${name} (${columns.join(', ')})`);
  await db.query(`ALTER TABLE cs_event ${adds.join(', ')}, ALGORITHM=INPLACE, LOCK=NONE`);
}

export async function down(qi: QueryInterface): Promise<void> {
  const drops = Object.keys(CS_LIST_INDEXES).map((name) => `DROP INDEX ${name}`);
  await qi.sequelize.query(`ALTER TABLE cs_event ${drops.join(', ')}, ALGORITHM=INPLACE, LOCK=NONE`);
  await qi.sequelize.query('ALTER TABLE cs_event DROP COLUMN has_compensation, ALGORITHM=INPLACE, LOCK=NONE');
}
