import type { RunningApp } from '../../src/core/app/app';
import type { ConfigInput } from '../../src/core/config';
import type { Domains } from '../../src/domains';
import { domainsOf } from '../../src/modules';
import { RiskScanInner } from '../../src/service/risk/inner/risk-scan-inner';
import type { FlaggedOrder } from '../../src/service/risk/risk-types';
import type { ZeusOrder } from '../../thirdparty/zeus/zeus-types';
import { type StubCall, ZeusStub } from '../../thirdparty/zeus/stub/zeus-stub';
import { startTestApp } from './app';
import { freshDatabase, freshRedisPrefix } from './db';
import { captureLogs, type LogCapture } from './log-capture';
import { dropKeys, rawRedis } from './redis';
import { type LoggedIn, loginAs } from './staff';
import { within } from './wait';

export { CURSOR_KEY } from '../../src/service/risk/inner/risk-scan-inner';

/** A running app wired to its own stub zeus, database and Redis prefix. */
export interface RiskHarness {
  app: RunningApp;
  stub: ZeusStub;
  domains: Domains;
  prefix: string;
  database: string;
  /** The app's log lines (captured, so test output stays readable). */
  logs: LogCapture;
  /** Called as each call reaches the stub, after its fault (if any) was chosen; a test may set it. */
  onCall: ((call: StubCall) => void) | undefined;
}

/**
 * Config for the zeus client of a test: quick deadlines and small retries, so
 * that failures settle fast; `zeus` overrides any of them.
 */
export function zeusOverrides(port: number, zeus: Record<string, number | string> = {}): ConfigInput['thirdparty'] {
  return {
    zeus: {
      instances: [`127.0.0.1:${port}`],
      timeout_ms: 1000,
      retries: 1,
      retry_backoff_ms: 20,
      breaker_volume: 1000,
      breaker_reset_ms: 30_000,
      ...zeus,
    },
  };
}

/**
 * Registers beforeAll/afterAll that start a stub zeus (fixture orders, or
 * `orders`) and the whole app on its own migrated database and Redis prefix,
 * pointed at the stub; returns a getter for use inside tests. `configure`
 * may be a function, read when the app starts (after earlier beforeAll hooks).
 */
export function riskHarness(
  configure: ConfigInput | (() => ConfigInput) = {},
  options: { zeus?: Record<string, number | string>; orders?: readonly ZeusOrder[] } = {},
): () => RiskHarness {
  let harness: RiskHarness | undefined;
  // Each piece is kept as soon as it exists, so that a setup failing half-way still closes what it opened.
  let stub: ZeusStub | undefined;
  let app: RunningApp | undefined;
  let drop: (() => Promise<void>) | undefined;
  let prefix: string | undefined;
  beforeAll(async () => {
    const overrides = typeof configure === 'function' ? configure() : configure;
    stub = new ZeusStub({
      ...(options.orders ? { orders: options.orders } : {}),
      onCall: (call) => harness?.onCall?.(call),
    });
    const port = await stub.start();
    const db = await freshDatabase();
    drop = db.drop;
    prefix = freshRedisPrefix();
    app = await startTestApp({
      ...overrides,
      thirdparty: zeusOverrides(port, options.zeus),
      mysql: { ...overrides.mysql, database: db.database },
      redis: { ...overrides.redis, key_prefix: prefix },
    });
    const logs = captureLogs();
    harness = { app, stub, domains: domainsOf(app.resources), prefix, database: db.database, logs, onCall: undefined };
  });
  afterAll(async () => {
    // The app first (it holds database connections), then what it used; every step runs even if one fails.
    const keyPrefix = prefix;
    const results = await Promise.allSettled([app?.stop(), stub?.stop()]);
    results.push(
      ...(await Promise.allSettled([
        drop?.(),
        keyPrefix === undefined
          ? undefined
          : (async () => {
              const redis = rawRedis();
              try {
                await dropKeys(redis, keyPrefix);
              } finally {
                redis.disconnect();
              }
            })(),
      ])),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  });
  return () => {
    if (!harness) throw new Error('the harness is not running: use the getter inside a test');
    return harness;
  };
}

/** The scan's cursor as it is in Redis ('' before the first scan). */
export function cursorOf(h: RiskHarness): Promise<string> {
  return new RiskScanInner(h.app.resources.redis).cursor();
}

/** Forgets every flagged order and the scan's state in Redis: the next scan starts from the beginning. */
export async function forgetScans(h: RiskHarness): Promise<void> {
  await h.app.resources.sequelize.query('DELETE FROM risk_flagged_order');
  const redis = rawRedis();
  try {
    await dropKeys(redis, `${h.prefix}risk:`);
  } finally {
    redis.disconnect();
  }
}

/** Every flagged order in the store, by order id. */
export async function allFlagged(h: RiskHarness): Promise<Map<string, FlaggedOrder>> {
  const items = await h.domains.risk.store.list({}, { offset: 0, limit: 1000 });
  const total = await h.domains.risk.store.count({}, 10_000);
  if (items.length !== total)
    throw new Error(`expected every flagged order on one page, got ${items.length} of ${total}`);
  return new Map(items.map((o) => [o.order_id, o]));
}

/** The rules each order must be flagged with, from a table of expectations, leaving out unflagged ones. */
export function expectedFlagged(expected: Readonly<Record<string, readonly string[]>>): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(expected)
      .filter(([, rules]) => rules.length > 0)
      .map(([id, rules]) => [id, [...rules].sort()]),
  );
}

/** The rules of each stored flagged order, sorted, by order id. */
export function flaggedRules(flagged: Map<string, FlaggedOrder>): Record<string, string[]> {
  return Object.fromEntries([...flagged.values()].map((o) => [o.order_id, [...o.rules].sort()]));
}

let seq = 0;

/** A pending flagged order with a unique id beyond 2^53; `overrides` replace its fields. */
export function flagged(overrides: Partial<FlaggedOrder> = {}): FlaggedOrder {
  seq += 1;
  const id = (9_000_000_000_000_000_000n + BigInt(Date.now()) * 1000n + BigInt(seq)).toString();
  return {
    order_id: id,
    order: {
      user_id: '42',
      phone: '13800000000',
      restaurant_id: '7',
      amount_cents: 60000,
      created_at: '2026-11-01T10:00:00.000Z',
      status: 'paid',
      refund_count: 0,
      user_registered_at: '2026-10-30T10:00:00.000Z',
    },
    hits: [{ rule: 'new_user_large_amount', threshold: 't', evidence: 'e' }],
    rules: ['new_user_large_amount'],
    status: 'pending',
    flagged_at: new Date(Date.now() + seq).toISOString(),
    reviewed_at: null,
    reviewer_id: null,
    note: null,
    cs_event_id: null,
    report_status: 'none',
    ...overrides,
  };
}

/**
 * Registers a beforeAll that scans the fixtures, logs a reviewer in and runs
 * the report processor in the app's process; returns a getter for the reviewer.
 */
export function reviewerWithReports(harness: () => RiskHarness): () => LoggedIn {
  let reviewer: LoggedIn | undefined;
  beforeAll(async () => {
    const h = harness();
    await within(h.domains.risk.scan.run(), 15_000, 'the scan of the fixtures');
    reviewer = await loginAs(h.app, ['risk_reviewer']);
    const { queues, risk } = h.domains;
    queues.process(risk.reportQueue, 1, (job) => risk.review.report(job));
  });
  return () => {
    if (!reviewer) throw new Error('not set up yet');
    return reviewer;
  };
}
