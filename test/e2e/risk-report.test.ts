import type { FlaggedOrder } from '../../src/service/risk/risk-types';
import { FLAGGED_FIXTURE_IDS } from '../../thirdparty/zeus/stub/fixtures';
import { runCommand } from '../helpers/command';
import { reviewerWithReports, riskHarness, type RiskHarness } from '../helpers/risk';
import { call, type LoggedIn } from '../helpers/staff';
import { waitFor, within } from '../helpers/wait';

/**
 * A fraud verdict made while zeus is down is reported once zeus is back: the
 * report job (run here by the app's own queue processor, as `make worker`
 * runs it) retries with backoff, or is parked in the failed set after its
 * attempts, where `npm run jobs -- retry` replays it.
 */

// Backoffs and a child process play out here: the waits are bounds against hanging, never speed assertions.
jest.setTimeout(60_000);

const BACKOFF_MS = 200;
const REPORT_BOUND_MS = 20_000;

function reportJob(h: RiskHarness, orderId: string) {
  return h.domains.queues.queue(h.domains.risk.reportQueue.name).getJob(`risk-report:${orderId}`);
}

async function judgeFraud(h: RiskHarness, who: LoggedIn, orderId: string, note: string) {
  const res = await call<FlaggedOrder>(h.app, 'POST', `/api/risk/orders/${orderId}/review`, who, {
    verdict: 'fraud',
    note,
  });
  expect(res.status).toBe(200);
  expect(res.body.data.report_status).toBe('pending');
  return res;
}

function reportedOnce(h: RiskHarness, orderId: string): Promise<FlaggedOrder> {
  return waitFor(
    async () => {
      const order = await h.domains.risk.store.get(orderId);
      return order?.report_status === 'reported' ? order : undefined;
    },
    REPORT_BOUND_MS,
    `the report of order ${orderId}`,
  );
}

describe('with attempts to spare', () => {
  const harness = riskHarness(
    { risk: { report_attempts: 8, report_backoff_ms: BACKOFF_MS } },
    { zeus: { retries: 0, timeout_ms: 500, breaker_volume: 3, breaker_error_percent: 50, breaker_reset_ms: 300 } },
  );
  const reviewer = reviewerWithReports(harness);

  it('when a fraud verdict is made while zeus is down, then the report is retried and reaches zeus exactly once after it returns', async () => {
    const h = harness();
    const id = FLAGGED_FIXTURE_IDS[0] ?? '';
    await h.stub.goAway();

    let res: Awaited<ReturnType<typeof judgeFraud>>;
    try {
      res = await judgeFraud(h, reviewer(), id, 'stolen card');
      // Let it fail a few times: zeus is gone, so none of them reaches it.
      await waitFor(
        async () => ((await reportJob(h, id))?.attemptsMade ?? 0) >= 2 || undefined,
        REPORT_BOUND_MS,
        'two failed tries of the report',
      );
      expect((await h.domains.risk.store.get(id))?.report_status).toBe('pending');
      expect(h.stub.reports).toHaveLength(0);
    } finally {
      await h.stub.comeBack();
    }

    await reportedOnce(h, id);

    const job = await reportJob(h, id);
    await waitFor(async () => (await job?.isCompleted()) || undefined, REPORT_BOUND_MS, 'the job to complete');
    expect(h.stub.reports).toEqual([
      { order_id: id, verdict: 'fraud', reason: 'stolen card', request_id: res.headers.get('x-request-id') },
    ]);
    expect(h.stub.callsOf('report_suspicious')).toHaveLength(1);
    // A later scan finishes unfinished verdicts: this one is finished, so nothing is queued or reported again.
    await within(h.domains.risk.scan.run(), 15_000, 'a scan');
    await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS * 2));
    expect(h.stub.reports).toHaveLength(1);
  });

  it('when zeus is up, then a fraud verdict is reported once with its reason', async () => {
    const h = harness();
    const id = FLAGGED_FIXTURE_IDS[1] ?? '';
    h.stub.clearRecords();

    await judgeFraud(h, reviewer(), id, '');
    await reportedOnce(h, id);

    expect(h.stub.reports).toEqual([
      expect.objectContaining({ order_id: id, verdict: 'fraud', reason: 'judged fraud by a reviewer' }),
    ]);
  });
});

describe('with few attempts', () => {
  const harness = riskHarness(
    { risk: { report_attempts: 2, report_backoff_ms: BACKOFF_MS } },
    { zeus: { retries: 0, timeout_ms: 500 } },
  );
  const reviewer = reviewerWithReports(harness);

  /** `npm run jobs -- ARGS` as an operator types it, against this app's Redis prefix, database and zeus. */
  function jobsCommand(h: RiskHarness, ...args: string[]) {
    return runCommand('npm', ['run', '--silent', 'jobs', '--', ...args], {
      TANDEM_REDIS_KEY_PREFIX: h.prefix,
      TANDEM_MYSQL_DATABASE: h.database,
      TANDEM_THIRDPARTY_ZEUS_INSTANCES: `127.0.0.1:${h.stub.port}`,
    });
  }

  it('when zeus stays down past the attempts, then the job is parked in the failed set; a retry by command reports it once zeus is back', async () => {
    const h = harness();
    const id = FLAGGED_FIXTURE_IDS[2] ?? '';
    const jobId = `risk-report:${id}`;
    await h.stub.goAway();
    try {
      await judgeFraud(h, reviewer(), id, 'refund abuse');

      const parked = await waitFor(
        async () => (await h.domains.queues.failed(h.domains.risk.reportQueue.name)).find((j) => j.id === jobId),
        REPORT_BOUND_MS,
        'the report job in the failed set',
      );
      expect(parked).toMatchObject({ attempts: 2, payload: { order_id: id, reason: 'refund abuse' } });
      expect(parked.error).toMatch(/zeus/);
    } finally {
      await h.stub.comeBack();
    }
    // A scan's reconcile step sees the unfinished report, but the parked job keeps its place: nothing is re-queued.
    await within(h.domains.risk.scan.run(), 15_000, 'a scan');
    await new Promise((resolve) => setTimeout(resolve, BACKOFF_MS * 3));
    expect(await (await reportJob(h, id))?.isFailed()).toBe(true);
    expect(h.stub.reports).toHaveLength(0);
    expect((await h.domains.risk.store.get(id))?.report_status).toBe('pending');

    const retried = await jobsCommand(h, 'retry', 'risk-report', jobId);
    expect({ code: retried.code, stderr: retried.stderr }).toEqual({ code: 0, stderr: '' });

    await reportedOnce(h, id);
    expect(h.stub.reports).toEqual([
      expect.objectContaining({ order_id: id, verdict: 'fraud', reason: 'refund abuse' }),
    ]);
    expect(h.stub.callsOf('report_suspicious')).toHaveLength(1);
  });
});
