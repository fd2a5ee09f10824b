import { ThirdPartyError } from '../../src/exception';
import type { JobDeps } from '../deps';
import { DependencyUnavailable } from '../runner';

/** The failures that mean zeus is not answering at all (not an answer we could not use). */
const NOT_ANSWERING = new Set(['THIRD_PARTY_TIMEOUT', 'THIRD_PARTY_UNAVAILABLE', 'THIRD_PARTY_CIRCUIT_OPEN']);

/** risk.scan: read new orders from zeus, flag what the rules catch, finish half-done verdicts. */
export async function riskScan(deps: JobDeps): Promise<{ orders: number; flagged: number; pages: number }> {
  try {
    const { orders, flagged, pages } = await deps.risk.scan.run();
    return { orders, flagged, pages };
  } catch (err) {
    // The zeus client has said once that zeus does not answer (and will say when it is back):
    // a tick a minute must not add a failure with its stack each time.
    if (err instanceof ThirdPartyError && NOT_ANSWERING.has(err.errorName))
      throw new DependencyUnavailable('zeus', err);
    throw err;
  }
}
