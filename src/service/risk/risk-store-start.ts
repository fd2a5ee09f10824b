import { dependencyOfCode, outages } from '../../core/log/outage';
import { ThrottledWarning } from '../../core/log/throttled-warning';
import { asTandemError } from '../../exception';
import type { FlaggedOrderStore } from './inner/flagged-store';

const startFailure = new ThrottledWarning(
  'the suspicious-order store could not start; its calls fail until it does, and start-up is retried',
  'risk.store.start_failed',
);

/** The first retry of a store that failed to start, doubling up to the most. */
const STORE_RETRY_FIRST_MS = 500;
const STORE_RETRY_MOST_MS = 30_000;

/**
 * Starts the suspicious-order store: one attempt now, then, while it fails,
 * again in the background with a doubling backoff (0.5 s up to 30 s), so a
 * MongoDB that is down at start is picked up when it comes back without a
 * restart. Meanwhile its calls answer 503 (code 400) and the outage log says
 * it once. Returns how to stop retrying.
 */
export async function startStore(store: FlaggedOrderStore): Promise<() => void> {
  const dependency = store.kind === 'mongo' ? 'mongodb' : 'mysql';
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let delay = STORE_RETRY_FIRST_MS;
  const attempt = async (): Promise<void> => {
    try {
      await store.init();
      outages.up(dependency);
    } catch (err) {
      if (stopped) return;
      // Out of reach: the outage log says it once. Anything else (a missing table) is a fault to see.
      if (dependencyOfCode(asTandemError(err).code) === dependency) outages.down(dependency, err);
      else startFailure.warn({ store: store.kind, error: err instanceof Error ? err.message : String(err) });
      timer = setTimeout(() => void attempt(), delay);
      timer.unref();
      delay = Math.min(delay * 2, STORE_RETRY_MOST_MS);
    }
  };
  await attempt();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
