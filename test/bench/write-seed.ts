import { QueryTypes } from 'sequelize';
import { createSequelize } from '../../src/core/db/mysql';
import { benchConfig, csSeed } from './cs-seed';
import type { RunningServer, ServerId } from './servers';

/** Events the transition scenarios move back and forth: enough that no two requests in flight meet on one. */
export const TRANSITION_EVENTS = 512;
const TRANSITION_CONTENT = 'benchmark transition';

export interface WriteSeed {
  /** The bench's staff member: tandem's creates and transitions act as them. */
  actorId: number;
  /** Events both tandem and the bare baseline have (same ids, in cs_event and its twin). */
  eventIds: number[];
}

let prepared: Promise<WriteSeed> | undefined;
let actorOfRun: number | undefined;

/** A connection for the bench's own set-up and clean-up: no query deadline (removing a run's 100,000 events takes seconds). */
function withDatabase<T>(work: (sequelize: ReturnType<typeof createSequelize>) => Promise<T>): Promise<T> {
  const config = benchConfig();
  const sequelize = createSequelize({ ...config, mysql: { ...config.mysql, query_timeout_ms: 0 } });
  return work(sequelize).finally(() => sequelize.close());
}

/**
 * Once per run: the twin tables of the bare baseline (empty copies of
 * tandem's, indexes included) and TRANSITION_EVENTS pending events of the
 * bench's staff member, the same rows in both.
 */
async function prepare(servers: ReadonlyMap<ServerId, RunningServer>): Promise<WriteSeed> {
  const { username } = await csSeed(servers);
  return withDatabase(async (sequelize) => {
    const [staff] = await sequelize.query<{ id: string }>('SELECT id FROM staff WHERE username = ?', {
      replacements: [username],
      type: QueryTypes.SELECT,
    });
    if (!staff) throw new Error(`The bench's staff member ${username} is missing.`);
    const actorId = Number(staff.id);
    actorOfRun = actorId;
    await sequelize.query('DROP TABLE IF EXISTS bench_cs_event_record, bench_cs_event');
    await sequelize.query('CREATE TABLE bench_cs_event LIKE cs_event');
    await sequelize.query('CREATE TABLE bench_cs_event_record LIKE cs_event_record');
    await sequelize.query(
      `INSERT INTO cs_event (user_type, phone, source, priority, status, creator_id, handler_id, compensation, content,
         request_scope, created_at, updated_at)
       SELECT 'merchant', '13800000000', 'phone', 0, 'pending', :actor, :actor, 0, :content, '', NOW(3), NOW(3)
         FROM seq_1_to_${TRANSITION_EVENTS}`,
      { replacements: { actor: actorId, content: TRANSITION_CONTENT } },
    );
    const rows = await sequelize.query<{ id: string }>(
      'SELECT id FROM cs_event WHERE creator_id = ? AND content = ? ORDER BY id',
      { replacements: [actorId, TRANSITION_CONTENT], type: QueryTypes.SELECT },
    );
    const eventIds = rows.map((r) => Number(r.id));
    // Generated columns (has_compensation) are computed by the twin itself.
    const columns = await sequelize.query<{ name: string }>(
      `SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'cs_event' AND EXTRA NOT LIKE '%GENERATED%'`,
      { type: QueryTypes.SELECT },
    );
    const list = columns.map((c) => `\`${c.name}\``).join(', ');
    await sequelize.query(`INSERT INTO bench_cs_event (${list}) SELECT ${list} FROM cs_event WHERE id IN (?)`, {
      replacements: [eventIds],
    });
    return { actorId, eventIds };
  });
}

export function writeSeed(servers: ReadonlyMap<ServerId, RunningServer>): Promise<WriteSeed> {
  prepared ??= prepare(servers);
  return prepared;
}

/**
 * Before each measured run of a transition: every seeded event pending
 * again, in both tables, since the loader starts its pending/remain
 * alternation from pending.
 */
export async function resetTransitions(servers: ReadonlyMap<ServerId, RunningServer>): Promise<void> {
  const { eventIds } = await writeSeed(servers);
  await withDatabase(async (sequelize) => {
    for (const table of ['cs_event', 'bench_cs_event']) {
      await sequelize.query(`UPDATE ${table} SET status = 'pending' WHERE id IN (?)`, { replacements: [eventIds] });
    }
  });
}

/** Removes what the write scenarios left: the twin tables, and every event of the bench's staff member. */
export async function cleanUpWrites(): Promise<void> {
  if (prepared === undefined) return;
  await prepared.catch(() => undefined);
  await withDatabase(async (sequelize) => {
    await sequelize.query('DROP TABLE IF EXISTS bench_cs_event_record, bench_cs_event');
    if (actorOfRun === undefined) return;
    await sequelize.query(
      'DELETE r FROM cs_event_record r JOIN cs_event e ON e.id = r.event_id WHERE e.creator_id = ?',
      { replacements: [actorOfRun] },
    );
    await sequelize.query('DELETE FROM cs_event WHERE creator_id = ?', { replacements: [actorOfRun] });
  });
}
