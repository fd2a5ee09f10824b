import net from 'node:net';
import type { RunningApp } from '../../src/core/app/app';
import { startStore } from '../../src/service/risk/risk-store-start';
import { asTandemError, ServerError } from '../../src/exception';
import { MongoFlaggedStore } from '../../src/service/risk/inner/mongo-flagged-store';
import { startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { freePort } from '../helpers/ports';
import { call, loginAs } from '../helpers/staff';
import { waitFor } from '../helpers/wait';

/**
 * MongoDB that is not there at start. No MongoDB server runs on this
 * machine, so the store meets the two ways it can be absent: a port that
 * refuses, and a port that accepts and never answers (a frozen server).
 * A real MongoDB coming back is not tested here.
 */

const SELECTION_MS = 300;

let refusing: string;
let silent: net.Server;
let silentUrl: string;
const held: net.Socket[] = [];
let accepted = 0;

beforeAll(async () => {
  refusing = `mongodb://127.0.0.1:${await freePort()}/tandem_test?serverSelectionTimeoutMS=${SELECTION_MS}`;
  silent = net.createServer((socket) => {
    accepted += 1;
    held.push(socket);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as net.AddressInfo;
  silentUrl = `mongodb://127.0.0.1:${port}/tandem_test?serverSelectionTimeoutMS=${SELECTION_MS}&connectTimeoutMS=${SELECTION_MS}`;
});

afterAll(async () => {
  for (const socket of held) socket.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

describe('the MongoDB store while MongoDB is absent', () => {
  it.each([
    ['refuses', () => refusing],
    ['accepts and never answers', () => silentUrl],
  ])(
    'when the port %s, then start-up fails within its deadline and calls are 503 code 400, not internal errors',
    async (_how, url) => {
      const store = new MongoFlaggedStore(url());
      const started = performance.now();
      const failure = await store.init().then(
        () => undefined,
        (err: unknown) => err,
      );
      const ms = performance.now() - started;
      const call = await store.get('1').then(
        () => undefined,
        (err: unknown) => err,
      );
      await store.close();

      expect(failure).toBeDefined();
      expect(asTandemError(failure).code).toBe(400);
      // Bounded, not hanging: the selection deadline plus generous slack for a busy machine.
      expect(ms).toBeLessThan(SELECTION_MS + 5000);
      expect(call).toBeInstanceOf(ServerError);
      expect((call as ServerError).code).toBe(400);
      await expect(store.ping()).rejects.toThrow('not connected yet');
    },
  );

  it('when start-up fails, then it is tried again in the background, each time later, until stopped', async () => {
    const store = new MongoFlaggedStore(silentUrl);
    const attempts: number[] = [];
    const init = store.init.bind(store);
    store.init = () => {
      attempts.push(performance.now());
      return init();
    };
    const before = accepted;
    const stop = await startStore(store);
    try {
      await waitFor(() => (attempts.length >= 3 ? true : undefined), 15000, 'three start-up attempts');
    } finally {
      stop();
    }
    const count = attempts.length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await store.close();

    const [a, b, c] = attempts as [number, number, number];
    // Backoff: 0.5 s then 1 s between the end of one attempt and the next, so the gaps grow.
    expect(c - b).toBeGreaterThan(b - a);
    expect(accepted).toBeGreaterThan(before);
    expect(attempts.length).toBe(count);
  });
});

describe('the app with MongoDB configured and absent', () => {
  let app: RunningApp;
  let db: { database: string; drop: () => Promise<void> };

  beforeAll(async () => {
    db = await freshDatabase();
    app = await startTestApp({
      mysql: { database: db.database },
      redis: { key_prefix: freshRedisPrefix() },
      mongo: { url: refusing },
    });
  }, 30000);

  afterAll(async () => {
    await app?.stop();
    await db?.drop();
  });

  it('when MongoDB is down, then the server serves, /health shows mongodb down (not required), and risk calls are 503 code 400', async () => {
    const reviewer = await loginAs(app, ['risk_reviewer']);
    const health = await call<{ status: string; checks: Record<string, { ok: boolean; required: boolean }> }>(
      app,
      'GET',
      '/health',
    );
    const orders = await call(app, 'GET', '/api/risk/orders', reviewer);

    expect(health.status).toBe(200);
    expect(health.body.data.status).toBe('degraded');
    expect(health.body.data.checks.mongodb).toMatchObject({ ok: false, required: false });
    expect(orders.status).toBe(503);
    expect(orders.body.code).toBe(400);
    expect(orders.headers.get('retry-after')).toBe('1');
  });
});
