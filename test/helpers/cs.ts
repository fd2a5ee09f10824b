import { QueryTypes } from 'sequelize';
import type { RunningApp } from '../../src/core/app/app';
import type { ConfigInput } from '../../src/core/config';
import { CS_STATUSES, type CsEvent, type CsEventRecord, type CsStatus } from '../../src/service/cs/cs-types';
import { startTestApp } from './app';
import { freshDatabase, freshRedisPrefix } from './db';
import { call, type LoggedIn } from './staff';

/**
 * Registers beforeAll/afterAll that give the calling test file its own
 * migrated database, its own Redis prefix and a running app; returns a getter.
 */
export function appWithOwnData(overrides: ConfigInput = {}): () => RunningApp {
  let app: RunningApp | undefined;
  let db: { database: string; drop: () => Promise<void> } | undefined;
  beforeAll(async () => {
    db = await freshDatabase();
    app = await startTestApp({
      ...overrides,
      mysql: { ...overrides.mysql, database: db.database },
      redis: { ...overrides.redis, key_prefix: freshRedisPrefix() },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await db?.drop();
  });
  return () => {
    if (!app) throw new Error('the app is not running: use the getter inside a test');
    return app;
  };
}

/** A valid create body; `over` replaces any field. */
export function eventBody(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { user_type: 'user', source: 'phone', content: 'the rider was rude', ...over };
}

/** Creates an event over HTTP and fails loudly unless it answered 201. */
export async function createEvent(
  app: RunningApp,
  who: LoggedIn,
  over: Record<string, unknown> = {},
): Promise<CsEvent> {
  const res = await call<CsEvent>(app, 'POST', '/api/cs/events', who, eventBody(over));
  if (res.status !== 201) throw new Error(`creating an event answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/** Moves an event over HTTP and fails loudly unless it answered 200. */
export async function moveEvent(
  app: RunningApp,
  who: LoggedIn,
  id: number,
  to: CsStatus,
  handlerId?: number,
): Promise<CsEvent> {
  const res = await call<CsEvent>(app, 'POST', `/api/cs/events/${id}/transition`, who, { to, handler_id: handlerId });
  if (res.status !== 200)
    throw new Error(`moving event ${id} to ${to} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/** Rows of a SELECT on the app's own database (the primary). */
export function select<T extends object>(
  app: RunningApp,
  sql: string,
  replacements: Record<string, unknown> = {},
): Promise<T[]> {
  return app.resources.sequelize.query<T>(sql, { type: QueryTypes.SELECT, replacements, useMaster: true });
}

/** Runs a statement (UPDATE, DELETE) on the app's database. */
export async function execute(app: RunningApp, sql: string, replacements: Record<string, unknown> = {}): Promise<void> {
  await app.resources.sequelize.query(sql, { replacements });
}

/** One cs_event row as stored, soft-deleted or not. */
export interface StoredEvent {
  id: string;
  status: string;
  handler_id: string;
  deleted_id: string;
  deleted_at: Date | null;
  request_key: string | null;
}

export async function storedEvent(app: RunningApp, id: number): Promise<StoredEvent | undefined> {
  const rows = await select<StoredEvent>(
    app,
    'SELECT id, status, handler_id, deleted_id, deleted_at, request_key FROM cs_event WHERE id = :id',
    { id },
  );
  return rows[0];
}

export type StoredRecord = Pick<CsEventRecord, 'action' | 'from_status' | 'to_status' | 'content'> & {
  actor_id: string;
  handler_id: string;
};

/** The timeline rows of an event as stored, oldest first. */
export function storedRecords(app: RunningApp, eventId: number): Promise<StoredRecord[]> {
  return select<StoredRecord>(
    app,
    'SELECT action, from_status, to_status, actor_id, handler_id, content FROM cs_event_record WHERE event_id = :id ORDER BY id',
    { id: eventId },
  );
}

/** Live events per status, counted in MySQL: what GET /api/cs/stats must agree with. */
export async function countsInMysql(app: RunningApp): Promise<Record<CsStatus, number>> {
  const rows = await select<{ status: CsStatus; n: string | number }>(
    app,
    'SELECT status, COUNT(*) AS n FROM cs_event WHERE deleted_id = 0 GROUP BY status',
  );
  const counts = Object.fromEntries(CS_STATUSES.map((s) => [s, 0])) as Record<CsStatus, number>;
  for (const row of rows) counts[row.status] = Number(row.n);
  return counts;
}
