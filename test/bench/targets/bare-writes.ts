import mysql from 'mysql2/promise';

/**
 * The bare write baseline, shared by the bare Express and bare thrift
 * servers: a mysql2 pool doing, on twin tables (bench_cs_event,
 * bench_cs_event_record: CREATE TABLE ... LIKE tandem's), the statements
 * tandem's create and transition run, and nothing else. No validation, no
 * cache, no counts, no log: what the same SQL costs in a handler a
 * developer would write by hand.
 */
const pool = mysql.createPool({
  host: process.env.BENCH_MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.BENCH_MYSQL_PORT ?? 3306),
  user: process.env.BENCH_MYSQL_USER ?? 'root',
  password: process.env.BENCH_MYSQL_PASSWORD ?? '',
  database: process.env.BENCH_MYSQL_DATABASE ?? 'tandem',
  connectionLimit: 10,
  supportBigNumbers: true,
  bigNumberStrings: true,
  timezone: 'Z',
});

export interface BareNewEvent {
  user_id?: number | null;
  user_type: string;
  phone?: string;
  order_id?: string | null;
  source: string;
  category_id?: number | null;
  priority?: number;
  compensation?: number;
  content: string;
}

export interface BareEvent {
  id: number;
  user_id: number | null;
  user_type: string;
  phone: string;
  order_id: string | null;
  source: string;
  category_id: number | null;
  priority: number;
  status: string;
  creator_id: number;
  handler_id: number;
  compensation: number;
  content: string;
  created_at: string;
  updated_at: string;
}

const INSERT_EVENT =
  'INSERT INTO bench_cs_event (user_id, user_type, phone, order_id, source, category_id, priority, status, ' +
  "creator_id, handler_id, compensation, content, request_key, request_scope, request_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, NULL, ?, NULL, ?, ?)";
const INSERT_RECORD =
  'INSERT INTO bench_cs_event_record (event_id, actor_id, via, action, from_status, to_status, handler_id, content, created_at) ' +
  'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)';

/** START, INSERT the event, INSERT its first record, COMMIT. */
export async function bareCreate(actorId: number, via: string, input: BareNewEvent): Promise<BareEvent> {
  const connection = await pool.getConnection();
  try {
    const now = new Date();
    await connection.query('START TRANSACTION');
    const event = {
      user_id: input.user_id ?? null,
      user_type: input.user_type,
      phone: input.phone ?? '',
      order_id: input.order_id ?? null,
      source: input.source,
      category_id: input.category_id ?? null,
      priority: input.priority ?? 0,
      status: 'pending',
      creator_id: actorId,
      handler_id: actorId,
      compensation: input.compensation ?? 0,
      content: input.content,
    };
    const [result] = await connection.execute<mysql.ResultSetHeader>(INSERT_EVENT, [
      event.user_id,
      event.user_type,
      event.phone,
      event.order_id,
      event.source,
      event.category_id,
      event.priority,
      actorId,
      actorId,
      event.compensation.toFixed(2),
      event.content,
      `staff:${actorId}`,
      now,
      now,
    ]);
    await connection.execute(INSERT_RECORD, [
      result.insertId,
      actorId,
      via,
      'create',
      null,
      'pending',
      actorId,
      event.content,
      now,
    ]);
    await connection.query('COMMIT');
    return { id: result.insertId, ...event, created_at: now.toISOString(), updated_at: now.toISOString() };
  } catch (err) {
    await connection.query('ROLLBACK');
    throw err;
  } finally {
    connection.release();
  }
}

interface LockedRow {
  id: string;
  user_id: string | null;
  user_type: string;
  phone: string;
  order_id: string | null;
  source: string;
  category_id: string | null;
  priority: number;
  status: string;
  creator_id: string;
  handler_id: string;
  compensation: string;
  content: string;
  created_at: Date;
}

/** START, SELECT ... FOR UPDATE, UPDATE the status, INSERT the record, COMMIT. */
export async function bareTransition(actorId: number, id: number, to: string, note: string): Promise<BareEvent> {
  const connection = await pool.getConnection();
  try {
    await connection.query('START TRANSACTION');
    const [rows] = await connection.execute<(LockedRow & mysql.RowDataPacket)[]>(
      'SELECT * FROM bench_cs_event WHERE id = ? AND deleted_id = 0 FOR UPDATE',
      [id],
    );
    const row = rows[0];
    if (!row) {
      await connection.query('ROLLBACK');
      throw new Error(`no event ${id}`);
    }
    const now = new Date();
    await connection.execute('UPDATE bench_cs_event SET status = ?, updated_at = ? WHERE id = ?', [to, now, id]);
    await connection.execute(INSERT_RECORD, [id, actorId, '', 'transition', row.status, to, row.handler_id, note, now]);
    await connection.query('COMMIT');
    return {
      id,
      user_id: row.user_id === null ? null : Number(row.user_id),
      user_type: row.user_type,
      phone: row.phone,
      order_id: row.order_id,
      source: row.source,
      category_id: row.category_id === null ? null : Number(row.category_id),
      priority: row.priority,
      status: to,
      creator_id: Number(row.creator_id),
      handler_id: Number(row.handler_id),
      compensation: Number(row.compensation),
      content: row.content,
      created_at: row.created_at.toISOString(),
      updated_at: now.toISOString(),
    };
  } catch (err) {
    await connection.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    connection.release();
  }
}

export function closeBareWrites(): Promise<void> {
  return pool.end();
}
