import type { QueryInterface } from 'sequelize';

/**
 * The contract step of 0008: the single-column indexes of 0001 that 0008's
 * list indexes superseded. Every read of cs_event since 0008 filters on
 * `deleted_id = 0` and reads through an index that leads with it (the lists,
 * the timeline's event, the daily report, the stale escalation), so these
 * five serve no query and cost every insert, and every update of the
 * columns they hold, one more index entry to write.
 *
 * Dropping a secondary index changes only InnoDB's metadata (INPLACE,
 * LOCK=NONE: writes go on while it runs). `down` builds them again online.
 * A release from before 0008 would still run on this schema, its lists
 * slower, as it ran on 0001's; no release since reads through these.
 */
export const SUPERSEDED_INDEXES: Record<string, string[]> = {
  idx_event_handler: ['handler_id', 'deleted_id'],
  idx_event_user: ['user_id'],
  idx_event_phone: ['phone'],
  idx_event_category: ['category_id'],
  idx_event_created: ['created_at'],
};

export async function up(qi: QueryInterface): Promise<void> {
  const drops = Object.keys(SUPERSEDED_INDEXES).map((name) => `DROP INDEX ${name}`);
  await qi.sequelize.query(`ALTER TABLE cs_event ${drops.join(', ')}, ALGORITHM=INPLACE, LOCK=NONE`);
}

export async function down(qi: QueryInterface): Promise<void> {
  const adds = Object.entries(SUPERSEDED_INDEXES).map(([name, columns]) => `ADD INDEX ${name} (${columns.join(', ')})`);
  await qi.sequelize.query(`ALTER TABLE cs_event ${adds.join(', ')}, ALGORITHM=INPLACE, LOCK=NONE`);
}
