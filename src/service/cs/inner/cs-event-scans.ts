import { QueryTypes, type Sequelize } from 'sequelize';
import { sqlTime } from '../../../core/db/keyset';
import { CS_STATUSES } from '../cs-types';

/**
 * The timed jobs' walks over cs_event: the stale events to escalate and the
 * per-status counts, each in keyset batches read in index order, so that
 * none reads more than a batch at ten million events.
 */

const iso = (d: Date | string): string => (d instanceof Date ? d : new Date(d)).toISOString();

/**
 * Live events not done, below the top priority and untouched since
 * `cutoff`, oldest first by (updated_at, id), after `after`: one ordered
 * branch per status and priority through (status, priority, updated_at),
 * so a batch reads a batch of index entries however many events are done.
 */
export async function findStale(
  sequelize: Sequelize,
  cutoff: Date,
  maxPriority: number,
  limit: number,
  after?: { updated_at: string; id: number },
): Promise<{ id: number; updated_at: string }[]> {
  const statuses = CS_STATUSES.filter((s) => s !== 'done');
  const values: Record<string, unknown> = { cutoff, limit };
  if (after) Object.assign(values, { afterAt: sqlTime(after.updated_at), afterId: after.id });
  const branches: string[] = [];
  for (const [i, status] of statuses.entries()) {
    for (let priority = 0; priority < maxPriority; priority += 1) {
      values[`s${i}`] = status;
      branches.push(
        `(SELECT id, updated_at FROM cs_event FORCE INDEX (idx_event_status_priority_updated)
             WHERE deleted_id = 0 AND status = :s${i} AND priority = ${priority} AND updated_at < :cutoff
             ${after ? 'AND (updated_at > :afterAt OR (updated_at = :afterAt AND id > :afterId))' : ''}
             ORDER BY updated_at, id LIMIT :limit)`,
      );
    }
  }
  const rows = await sequelize.query<{ id: string | number; updated_at: Date | string }>(
    `SELECT * FROM (${branches.join(' UNION ALL ')}) AS stale ORDER BY updated_at, id LIMIT :limit`,
    { replacements: values, type: QueryTypes.SELECT },
  );
  return rows.map((r) => ({ id: Number(r.id), updated_at: iso(r.updated_at) }));
}

/**
 * Live events per status, straight from the primary: the counts are cached
 * and then kept by deltas, so a lagging replica's counts would stay wrong.
 */
export async function countByStatus(sequelize: Sequelize, chunk: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const status of CS_STATUSES) {
    const n = await countStatus(sequelize, chunk, status);
    if (n > 0) counts[status] = n;
  }
  return counts;
}

/**
 * One status's live events, counted in keyset chunks of `chunk` index
 * entries (idx_event_status_updated, read in order): no statement reads
 * more than a chunk, so none nears the statement limit at ten million
 * events, and nothing is held between chunks.
 */
async function countStatus(sequelize: Sequelize, chunk: number, status: string): Promise<number> {
  let total = 0;
  let after: { at: string; id: string } | undefined;
  const read = <T extends object>(select: string, tail: string): Promise<T[]> =>
    sequelize.query<T>(
      `SELECT ${select} FROM cs_event FORCE INDEX (idx_event_status_updated)
          WHERE deleted_id = 0 AND status = :status
          ${after ? 'AND (updated_at > :afterAt OR (updated_at = :afterAt AND id > :afterId))' : ''} ${tail}`,
      {
        replacements: { status, ...(after ? { afterAt: sqlTime(after.at), afterId: after.id } : {}) },
        type: QueryTypes.SELECT,
        useMaster: true,
      },
    );
  for (;;) {
    // The last entry of a full chunk, if there is one: the chunk is then counted whole and the walk goes on after it.
    const [last] = await read<{ updated_at: Date | string; id: string | number }>(
      'updated_at, id',
      `ORDER BY updated_at, id LIMIT 1 OFFSET ${chunk - 1}`,
    );
    if (!last) {
      const [rest] = await read<{ n: string | number }>('COUNT(*) AS n', '');
      return total + Number(rest?.n ?? 0);
    }
    total += chunk;
    after = { at: iso(last.updated_at), id: String(last.id) };
  }
}
