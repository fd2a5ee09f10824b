import type { JobDeps } from '../deps';

/** risk.scan: read new orders from zeus, flag what the rules catch, finish half-done verdicts. */
export async function riskScan(deps: JobDeps): Promise<{ orders: number; flagged: number; pages: number }> {
  const { orders, flagged, pages } = await deps.risk.scan.run();
  return { orders, flagged, pages };
}
