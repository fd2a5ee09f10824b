import { ThirdPartyError } from '../../src/exception';
import type { ScanResult } from '../../src/service/risk/risk-scan-service';
import type { ZeusOrder } from '../../thirdparty/zeus/zeus-types';
import { EXPECTED_FLAGS, MAX_I64_ID, newOrder } from '../../thirdparty/zeus/stub/fixtures';
import { allFlagged, cursorOf, expectedFlagged, flaggedRules, riskHarness, type RiskHarness } from '../helpers/risk';
import { waitFor, within } from '../helpers/wait';
import { listenStatsd, type StatsdListener } from '../helpers/statsd-listener';

/**
 * zeus failing while the scan runs: the scan stops where it failed and goes
 * on from its cursor later; a long outage opens the circuit breaker, so
 * scans fail fast without reaching zeus, and once zeus is back (and
 * breaker_reset_ms has passed) the scan catches up with nothing skipped and
 * nothing read twice.
 */
const PAGE_SIZE = 3;
const RESET_MS = 300;
const SCAN_BOUND_MS = 15_000;
const DAY_MS = 24 * 3600_000;
const STATSD_PREFIX = `risk-outage-${process.pid}.`;

let statsdListener: StatsdListener;

beforeAll(async () => {
  statsdListener = await listenStatsd();
});

afterAll(async () => {
  await statsdListener.close();
});

const harness = riskHarness(
  () => ({
    risk: { scan_page_size: PAGE_SIZE, scan_max_pages: 50 },
    statsd: { enabled: true, host: '127.0.0.1', port: statsdListener.port, prefix: STATSD_PREFIX },
  }),
  { zeus: { retries: 0, timeout_ms: 500, breaker_volume: 3, breaker_error_percent: 50, breaker_reset_ms: RESET_MS } },
);

function scan(h: RiskHarness): Promise<ScanResult> {
  return within(h.domains.risk.scan.run(), SCAN_BOUND_MS, 'a risk scan');
}

/** Runs a scan that must fail; resolves with its error. */
async function failedScan(h: RiskHarness): Promise<ThirdPartyError> {
  const err = await within(
    h.domains.risk.scan.run().then(
      () => {
        throw new Error('The scan succeeded, but zeus was down and it was expected to fail.');
      },
      (e: unknown) => e,
    ),
    SCAN_BOUND_MS,
    'a failing risk scan',
  );
  expect(err).toBeInstanceOf(ThirdPartyError);
  return err as ThirdPartyError;
}

/** A statsd line with this name (after the prefix) and type, waited for (bounded). */
function metric(name: string, type: 'c' | 'ms'): Promise<string> {
  const pattern = new RegExp(
    `^${(STATSD_PREFIX + name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+(\\.\\d+)?\\|${type}`,
  );
  return waitFor(
    () => statsdListener.lines.find((l) => pattern.test(l)),
    5000,
    `the statsd line ${STATSD_PREFIX}${name}|${type}`,
  );
}

/** New orders and the rules each must be flagged with. */
interface Batch {
  orders: ZeusOrder[];
  expected: Record<string, string[]>;
}

/** A new order from a user who registered a day before it, for a large amount: new_user_large_amount. */
function newUserLargeAmount(): ZeusOrder {
  const order = newOrder({ amount_cents: 90_000 });
  return { ...order, user_registered_at: new Date(order.created_at.getTime() - DAY_MS) };
}

function batch(entries: [ZeusOrder, string[]][]): Batch {
  return {
    orders: entries.map(([o]) => o),
    expected: Object.fromEntries(
      entries.filter(([, rules]) => rules.length > 0).map(([o, rules]) => [o.id, [...rules].sort()]),
    ),
  };
}

beforeEach(() => {
  const h = harness();
  h.onCall = undefined;
  h.stub.recover();
});

describe('zeus failing while orders keep coming', () => {
  let expected: Record<string, string[]> = {};

  it('when the fixtures are scanned first, then they are flagged as EXPECTED_FLAGS says', async () => {
    const h = harness();

    await scan(h);

    expected = expectedFlagged(EXPECTED_FLAGS);
    expect(flaggedRules(await allFlagged(h))).toEqual(expected);
    expect(await cursorOf(h)).toBe(MAX_I64_ID);
  });

  it('when zeus drops a call in the middle of a scan, then the scan fails, the cursor stays after the last page stored, and the next scan reads on from there', async () => {
    const h = harness();
    const phone = '13611112222';
    const arrived = batch([
      [newOrder(), []],
      [newOrder({ refund_count: 3, status: 'refunded' }), ['high_refund_count']],
      [newOrder({ phone }), []],
      [newOrder({ phone }), []],
      [newOrder({ phone }), ['phone_burst']],
      [newOrder(), []],
      [newUserLargeAmount(), ['new_user_large_amount']],
    ]);
    h.stub.addOrders(arrived.orders);
    let lists = 0;
    h.onCall = (call) => {
      // The first two pages are answered; from the third on, zeus resets the connection.
      if (call.method === 'list_orders_since' && (lists += 1) === 2) h.stub.resetCalls();
    };

    const err = await failedScan(h);

    expect(err.code).toBe(702);
    const afterTwoPages = arrived.orders[2 * PAGE_SIZE - 1]?.id;
    expect(await cursorOf(h)).toBe(afterTwoPages);
    const firstTwoPages = new Set(arrived.orders.slice(0, 2 * PAGE_SIZE).map((o) => o.id));
    const storedSoFar = Object.fromEntries(Object.entries(arrived.expected).filter(([id]) => firstTwoPages.has(id)));
    expect(flaggedRules(await allFlagged(h))).toEqual({ ...expected, ...storedSoFar });

    h.onCall = undefined;
    h.stub.recover();
    await waitFor(
      () => (h.domains.zeus.breakerState === 'open' ? undefined : true),
      RESET_MS + 5000,
      'the breaker to let calls through',
    );
    const result = await scan(h);

    expect(result).toMatchObject({ orders: arrived.orders.length - 2 * PAGE_SIZE, flagged: 1 });
    expected = { ...expected, ...arrived.expected };
    expect(flaggedRules(await allFlagged(h))).toEqual(expected);
    expect(await cursorOf(h)).toBe(arrived.orders[arrived.orders.length - 1]?.id);
  });

  it('when zeus keeps failing, then the breaker opens: scans fail fast with 704 without reaching zeus, and it is counted', async () => {
    const h = harness();
    const cursor = await cursorOf(h);
    const phone = '13633334444';
    // Orders keep arriving while zeus fails: a burst that spans the outage among them.
    const during = batch([
      [newOrder({ phone }), []],
      [newOrder({ refund_count: 5, status: 'refunded' }), ['high_refund_count']],
      [newOrder({ phone }), []],
      [newOrder(), []],
    ]);
    h.stub.resetCalls();
    h.stub.addOrders(during.orders);

    const codes: number[] = [];
    for (let i = 0; i < 60 && h.domains.zeus.breakerState !== 'open'; i += 1) codes.push((await failedScan(h)).code);

    expect(h.domains.zeus.breakerState).toBe('open');
    expect(new Set(codes)).toEqual(new Set([702]));
    const reached = h.stub.calls.length;
    for (let i = 0; i < 3; i += 1) expect((await failedScan(h)).code).toBe(704);
    expect(h.stub.calls.length).toBe(reached);
    expect(await cursorOf(h)).toBe(cursor);
    await metric('thirdparty.zeus.breaker.open', 'c');
    await metric('thirdparty.zeus.errors.circuit_open', 'c');
    await metric('thirdparty.zeus.list_orders_since.circuit_open', 'ms');

    // zeus comes back; more orders arrive; once breaker_reset_ms has passed one probe goes through.
    h.stub.recover();
    const after = batch([
      [newOrder({ phone }), ['phone_burst']],
      [newUserLargeAmount(), ['new_user_large_amount']],
      [newOrder(), []],
      [newOrder(), []],
      [newOrder({ refund_count: 7, status: 'refunded' }), ['high_refund_count']],
    ]);
    h.stub.addOrders(after.orders);
    await waitFor(
      () => (h.domains.zeus.breakerState === 'half_open' ? true : undefined),
      RESET_MS + 5000,
      'the breaker to half-open',
    );

    const result = await scan(h);

    // Every order that arrived was read once, none skipped and none twice.
    expect(result.orders).toBe(during.orders.length + after.orders.length);
    expect(result.flagged).toBe(Object.keys(during.expected).length + Object.keys(after.expected).length);
    expect(h.domains.zeus.breakerState).toBe('closed');
    expected = { ...expected, ...during.expected, ...after.expected };
    expect(flaggedRules(await allFlagged(h))).toEqual(expected);
    expect(await cursorOf(h)).toBe(after.orders[after.orders.length - 1]?.id);
    await metric('thirdparty.zeus.breaker.close', 'c');

    const again = await scan(h);
    expect(again).toMatchObject({ orders: 0, flagged: 0 });
  });
});
