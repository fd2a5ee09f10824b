import mysql from 'mysql2/promise';
import { outages } from '../../src/core/log/outage';
import { appWithOwnData, createEvent } from '../helpers/cs';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { call, type LoggedIn, loginAs } from '../helpers/staff';

/**
 * A query that runs past mysql.query_timeout_ms on a server that answers:
 * the server ends it at its statement limit, the request answers 503 with
 * the deadline code (201), one `slow query` line names its SQL, and MySQL is
 * not called down for anyone else. (A server that does not answer at all
 * is the fault suite's: our own deadline then ends the query, as before.)
 */
const QUERY_TIMEOUT_MS = 600;
const app = appWithOwnData({ mysql: { query_timeout_ms: QUERY_TIMEOUT_MS } });

let agent: LoggedIn;
let logs: LogCapture;

beforeAll(async () => {
  agent = await loginAs(app(), ['cs_agent', 'cs_admin']);
});

it('when a change waits on a row lock past the query deadline, then 503 code 201, one slow query line with its SQL, and MySQL is not down', async () => {
  const event = await createEvent(app(), agent, { content: 'locked elsewhere' });
  const other = await mysql.createConnection({
    host: '127.0.0.1',
    user: 'root',
    database: app().resources.sequelize.getDatabaseName(),
  });
  try {
    // Another session holds the event's row lock, so the change's SELECT ... FOR UPDATE waits.
    await other.query('BEGIN');
    await other.query('SELECT id FROM cs_event WHERE id = ? FOR UPDATE', [event.id]);
    logs = captureLogs();

    const started = Date.now();
    const res = await call(app(), 'PATCH', `/api/cs/events/${event.id}`, agent, { priority: 2 });
    const took = Date.now() - started;

    expect(res.status).toBe(503);
    expect(res.body.code).toBe(201);
    // Ended by the server's limit, under our own deadline (which would have destroyed the connection).
    expect(took).toBeGreaterThanOrEqual(QUERY_TIMEOUT_MS - 200);
    const slow = logs.lines.filter((l) => l.message === 'slow query');
    expect(slow).toHaveLength(1);
    expect(String(slow[0]?.sql)).toMatch(/FROM `?cs_event`? WHERE .*FOR UPDATE/);
    expect(logs.lines.filter((l) => /mysql is (still )?down/.test(String(l.message)))).toEqual([]);
    expect(logs.lines.filter((l) => l.message === 'request failed')).toEqual([]);
    expect(outages.isDown('mysql')).toBe(false);
  } finally {
    await other.query('ROLLBACK').catch(() => undefined);
    await other.end();
  }

  // Everyone else goes on: the same event is read and changed at once.
  expect((await call(app(), 'GET', `/api/cs/events/${event.id}`, agent)).status).toBe(200);
  const changed = await call(app(), 'PATCH', `/api/cs/events/${event.id}`, agent, { priority: 2 });
  expect(changed.status).toBe(200);
  const health = await call(app(), 'GET', '/health');
  expect(health.status).toBe(200);
});
