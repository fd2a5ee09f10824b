import { createScheduler } from '../../scheduler';
import type { ScanResult } from '../../src/service/risk/risk-scan-service';
import { EXPECTED_FLAGS, FIXTURE_ORDERS, FLAGGED_FIXTURE_IDS, MAX_I64_ID } from '../../thirdparty/zeus/stub/fixtures';
import {
  allFlagged,
  CURSOR_KEY,
  cursorOf,
  expectedFlagged,
  flaggedRules,
  forgetScans,
  riskHarness,
  type RiskHarness,
} from '../helpers/risk';
import { within } from '../helpers/wait';

/**
 * The risk scan end to end: the stub zeus over real Thrift, the store in
 * MariaDB, the cursor and phone windows in Redis. A small page size makes a
 * scan of the 25 fixture orders read several pages.
 */
const PAGE_SIZE = 4;
const SCAN_BOUND_MS = 15_000;

const harness = riskHarness({ risk: { scan_page_size: PAGE_SIZE, scan_max_pages: 50 } });

/** Where an order id sits in zeus's listing order; '' (no cursor) is -1. */
const positionOf = (cursor: string): number => (cursor === '' ? -1 : FIXTURE_ORDERS.findIndex((o) => o.id === cursor));

function scan(h: RiskHarness): Promise<ScanResult> {
  return within(h.domains.risk.scan.run(), SCAN_BOUND_MS, 'a risk scan');
}

beforeEach(() => {
  harness().stub.recover();
  harness().stub.clearRecords();
});

describe('a scan of the fixture orders', () => {
  it('when the scan runs from the beginning, then exactly the orders EXPECTED_FLAGS names are flagged, with the same rules', async () => {
    const h = harness();

    const result = await scan(h);

    const flagged = await allFlagged(h);
    expect(flaggedRules(flagged)).toEqual(expectedFlagged(EXPECTED_FLAGS));
    expect([...flagged.keys()].sort()).toEqual([...FLAGGED_FIXTURE_IDS].sort());
    expect(result).toMatchObject({
      orders: FIXTURE_ORDERS.length,
      flagged: FLAGGED_FIXTURE_IDS.length,
      yielded: false,
    });
    expect(result.pages).toBeGreaterThanOrEqual(Math.ceil(FIXTURE_ORDERS.length / PAGE_SIZE));
    expect(h.stub.callsOf('list_orders_since').length).toBe(result.pages);
  });

  it('when an order is flagged, then its evidence, the order as zeus had it and an unreviewed state are stored', async () => {
    const flagged = await allFlagged(harness());

    for (const id of FLAGGED_FIXTURE_IDS) {
      const stored = flagged.get(id);
      const order = FIXTURE_ORDERS.find((o) => o.id === id);
      expect(stored).toBeDefined();
      expect(order).toBeDefined();
      if (!stored || !order) continue;
      expect(stored.order).toEqual({
        user_id: order.user_id,
        phone: order.phone,
        restaurant_id: order.restaurant_id,
        amount_cents: order.amount_cents,
        created_at: order.created_at.toISOString(),
        status: order.status,
        refund_count: order.refund_count,
        user_registered_at: order.user_registered_at.toISOString(),
      });
      expect(stored.hits.map((hit) => hit.rule)).toEqual(stored.rules);
      for (const hit of stored.hits) {
        expect(hit.threshold).not.toBe('');
        expect(hit.evidence).not.toBe('');
      }
      expect(stored).toMatchObject({
        status: 'pending',
        reviewed_at: null,
        reviewer_id: null,
        note: null,
        cs_event_id: null,
        report_status: 'none',
      });
    }
    // The evidence says what the rule saw on that order.
    const burst = FIXTURE_ORDERS.filter((o) => EXPECTED_FLAGS[o.id]?.includes('phone_burst'));
    const fourth = flagged.get(burst[1]?.id ?? '');
    expect(fourth?.hits.find((h) => h.rule === 'phone_burst')?.evidence).toMatch(
      /^4 orders from 13800000001 within 10 minutes/,
    );
    const refunds = flagged.get(FIXTURE_ORDERS.find((o) => o.refund_count === 3)?.id ?? '');
    expect(refunds?.hits).toEqual([expect.objectContaining({ rule: 'high_refund_count', evidence: '3 refunds' })]);
    const fresh = flagged.get(FIXTURE_ORDERS.find((o) => o.amount_cents === 80_000)?.id ?? '');
    expect(fresh?.hits).toEqual([
      expect.objectContaining({ rule: 'new_user_large_amount', evidence: 'account 2.0 days old, amount 80000 cents' }),
    ]);
  });

  it('when the scan has read every order, then the cursor in Redis is the id of the last one', async () => {
    expect(await cursorOf(harness())).toBe(MAX_I64_ID);
  });
});

describe('re-runs and overlaps', () => {
  it('when the scan runs again with nothing new, then it reads an empty page, stores nothing and the cursor stays', async () => {
    const h = harness();
    const before = await allFlagged(h);

    const result = await scan(h);

    expect(result).toMatchObject({ orders: 0, flagged: 0, cursor: MAX_I64_ID });
    expect(await allFlagged(h)).toEqual(before);
    expect(await cursorOf(h)).toBe(MAX_I64_ID);
  });

  it('when the cursor is lost and every order is read again, then nothing is stored twice and nothing stored is overwritten', async () => {
    const h = harness();
    const before = await allFlagged(h);
    await h.app.resources.redis.del(CURSOR_KEY);

    const result = await scan(h);

    expect(result).toMatchObject({ orders: FIXTURE_ORDERS.length, flagged: 0 });
    const after = await allFlagged(h);
    expect(after).toEqual(before);
    expect(flaggedRules(after)).toEqual(expectedFlagged(EXPECTED_FLAGS));
    expect(await cursorOf(h)).toBe(MAX_I64_ID);
  });

  it('when three scans run at once, then each flagged order is stored once, by one of them, and the cursor never moves backwards', async () => {
    const h = harness();
    await forgetScans(h);
    // A little latency per page makes the scans interleave.
    h.stub.setLatency(15);
    const seen: string[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        seen.push(await cursorOf(h));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();

    let results: ScanResult[];
    try {
      results = await within(
        Promise.all([h.domains.risk.scan.run(), h.domains.risk.scan.run(), h.domains.risk.scan.run()]),
        SCAN_BOUND_MS,
        'three scans at once',
      );
    } finally {
      polling = false;
      await poller;
    }

    expect(results.reduce((sum, r) => sum + r.flagged, 0)).toBe(FLAGGED_FIXTURE_IDS.length);
    expect(flaggedRules(await allFlagged(h))).toEqual(expectedFlagged(EXPECTED_FLAGS));
    seen.push(await cursorOf(h));
    const positions = seen.map(positionOf);
    expect(positions.every((p) => p >= -1)).toBe(true);
    for (let i = 1; i < positions.length; i += 1) expect(positions[i]).toBeGreaterThanOrEqual(positions[i - 1] ?? -1);
    expect(seen[seen.length - 1]).toBe(MAX_I64_ID);
    // The scans really overlapped: more than one of them read orders, and one ran to the end.
    expect(results.filter((r) => r.orders > 0).length).toBeGreaterThan(1);
    expect(results.some((r) => r.yielded)).toBe(true);
  });
});

describe('the timed job', () => {
  it("when the scheduler runs 'risk.scan' now, then the scan runs: the fixtures are flagged and the cursor is at the end", async () => {
    const h = harness();
    await forgetScans(h);
    const scheduler = createScheduler(
      h.app.resources.redis,
      { config: h.app.resources.config, cs: h.domains.cs, risk: h.domains.risk },
      undefined,
    );

    const outcome = await within(scheduler.runNow('risk.scan'), SCAN_BOUND_MS, "the 'risk.scan' job");

    expect(outcome).toBe('ok');
    expect(flaggedRules(await allFlagged(h))).toEqual(expectedFlagged(EXPECTED_FLAGS));
    expect(await cursorOf(h)).toBe(MAX_I64_ID);
    expect(h.stub.callsOf('list_orders_since').length).toBeGreaterThan(0);
  });

  it("when zeus is gone, then the 'risk.scan' job ends unavailable (not a failure with a stack) and the cursor stays where it was", async () => {
    const h = harness();
    await forgetScans(h);
    const scheduler = createScheduler(
      h.app.resources.redis,
      { config: h.app.resources.config, cs: h.domains.cs, risk: h.domains.risk },
      undefined,
    );
    await h.stub.goAway();
    try {
      const outcome = await within(scheduler.runNow('risk.scan'), SCAN_BOUND_MS, "the 'risk.scan' job");

      expect(outcome).toBe('unavailable');
      expect(await cursorOf(h)).toBe('');
      expect((await allFlagged(h)).size).toBe(0);
    } finally {
      await h.stub.comeBack();
    }
  });
});
