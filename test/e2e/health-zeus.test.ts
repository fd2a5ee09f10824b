import { MAX_I64_ID } from '../../thirdparty/zeus/stub/fixtures';
import { riskHarness } from '../helpers/risk';
import { call } from '../helpers/staff';

/**
 * GET /health shows zeus's instances as the client sees them: up while its
 * calls are answered, ejected once they fail, and `degraded` (not `down`:
 * only the calls that need zeus fail) when no instance takes calls. /health
 * itself sends zeus no call.
 */

interface ZeusCheck {
  ok: boolean;
  required: boolean;
  error?: string;
  detail?: { instances: { address: string; state: string; in_flight: number; ewma_ms: number }[] };
}
interface Health {
  status: string;
  checks: Record<string, ZeusCheck>;
}

describe('zeus in GET /health', () => {
  const harness = riskHarness(
    {},
    { zeus: { retries: 0, timeout_ms: 300, eject_after_failures: 1, eject_base_ms: 60_000, eject_max_ms: 60_000 } },
  );

  it('when zeus answers, then its instance is up; when it is gone and a call failed, then the instance is ejected and the host degraded', async () => {
    const h = harness();
    const address = `127.0.0.1:${h.stub.port}`;
    await h.domains.zeus.getOrder(MAX_I64_ID);
    const callsBefore = h.stub.calls.length;

    const up = await call<Health>(h.app, 'GET', '/health');

    expect(up.status).toBe(200);
    expect(up.body.data.status).toBe('ok');
    expect(up.body.data.checks.zeus).toMatchObject({
      ok: true,
      required: false,
      detail: { instances: [{ address, state: 'up', in_flight: 0 }] },
    });
    expect(h.stub.calls.length).toBe(callsBefore);

    await h.stub.goAway();
    await expect(h.domains.zeus.getOrder(MAX_I64_ID)).rejects.toMatchObject({ code: 702 });
    const down = await call<Health>(h.app, 'GET', '/health');

    expect(down.status).toBe(200);
    expect(down.body.data.status).toBe('degraded');
    expect(down.body.data.checks.zeus).toMatchObject({
      ok: false,
      required: false,
      error: `no instance of zeus takes calls (${address} ejected)`,
      detail: { instances: [{ address, state: 'ejected' }] },
    });
    await h.stub.comeBack();
  });
});
