import type Bull from 'bull';
import type { Redis } from 'ioredis';
import { logger } from '../log';

/** What Queues reaches of Bull 4 beyond its typings, each said and kept in one place. */

/** A queue's connections, as our ioredis types them: Bull's typings name those of its own nested copy. */
export function clientsOf(queue: Bull.Queue): Redis[] {
  return queue.clients as unknown as Redis[];
}

/** What Bull keeps of the connection that waits for new jobs; its typings leave it out. */
interface BlockingConnection {
  bclientInitialized?: boolean;
  bclient?: { disconnect: () => void };
}

/**
 * Makes a closing queue take no new job at once. Bull ends the blocking
 * BRPOPLPUSH that waits for jobs with QUIT, which Redis reads only after that
 * pop returns, so for up to half a second a job enqueued during the stop
 * could still be taken. Cutting the connection ends the wait now; a job popped
 * in that instant sits unlocked in `active` and the stalled-job check gives
 * it to another worker. Call it after `queue.close()`, which marks the queue
 * as closing so that Bull takes the cut as expected.
 */
export function stopWaitingForJobs(queue: Bull.Queue): void {
  const internals = queue as unknown as BlockingConnection;
  if (internals.bclientInitialized) internals.bclient?.disconnect();
}

/** What Bull keeps of the call that names the blocking connection; its typings leave it out. */
interface WorkerNaming {
  setWorkerName: () => Promise<void>;
}

/**
 * Bull 4 names a queue's blocking connection (CLIENT SETNAME) when a processor is set and drops the promise; a
 * close that cuts that connection before the answer rejects it with "Connection is closed" and nobody to catch
 * it, which ended the queue worker with an unhandled rejection on a SIGTERM just after start. The rejection is
 * caught here: ignored while closing, said once otherwise.
 */
export function catchWorkerNaming(queue: Bull.Queue, closing: () => boolean): void {
  const naming = queue as unknown as WorkerNaming;
  const setWorkerName = naming.setWorkerName.bind(queue);
  naming.setWorkerName = () =>
    setWorkerName().catch((err: unknown) => {
      if (closing()) return;
      logger.warn('Bull could not name its Redis connection; the queue works on without it', {
        queue: queue.name,
        error: err instanceof Error ? err.message : String(err),
      });
    });
}
