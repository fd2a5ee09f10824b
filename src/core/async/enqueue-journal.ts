import type Bull from 'bull';
import { logger } from '../log';
import { statsd } from '../monitor';

/**
 * Deletes, among the given job keys, those that hold no job data, with their lock; answers how many it deleted.
 * Such a hash is what Bull 4 leaves on a new primary when a worker took a job's id from the old one during the
 * switch (its blocking pop there) and then locked it on the new one: Bull's moveToActive writes `processedOn`
 * into a job hash that is not there, and the try that follows, with no data, fails and cannot be moved out of
 * `active`. Left alone, that hash makes the replay's add see the job as present and add nothing.
 */
const DELETE_HOLLOW_JOBS = `
local deleted = 0
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 and redis.call('HEXISTS', key, 'data') == 0 then
    redis.call('DEL', key, key .. ':lock')
    deleted = deleted + 1
  end
end
return deleted`;

interface Entry {
  data: unknown;
  options: Bull.JobOptions;
  at: number;
}

/**
 * The keyed jobs this process enqueued in the last `keepMs`, added again
 * when the queue's command connection becomes ready again, which after a
 * Sentinel failover is on the new primary. WAIT only says that some replica
 * took the job: in a manual failover the replica that is about to be moved
 * to the new primary may be that one, and its move discards the job. Adding
 * it again with its key (the job id) changes nothing where it survived, and
 * brings it back where it did not. Jobs without a key are not replayed: a
 * second add of those would run them twice. A job hash without data (see
 * DELETE_HOLLOW_JOBS) is not a job that survived: it is deleted first, so
 * that the add brings the job back.
 */
export class EnqueueJournal {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly keepMs: number) {}

  /** Keeps a keyed job for a replay; called after its enqueue was acknowledged. */
  add(key: string | undefined, data: unknown, options: Bull.JobOptions): void {
    if (this.keepMs <= 0 || key === undefined) return;
    const now = Date.now();
    this.prune(now);
    this.entries.set(key, { data, options, at: now });
  }

  private prune(now: number): void {
    for (const [key, entry] of this.entries) if (now - entry.at > this.keepMs) this.entries.delete(key);
  }

  /** Adds the recent keyed jobs again; a failure is said once and left (best effort). */
  async replay(queue: Bull.Queue): Promise<void> {
    this.prune(Date.now());
    if (this.entries.size === 0) return;
    try {
      const keys = [...this.entries.keys()].map((key) => queue.toKey(key));
      const hollow = Number(await queue.client.eval(DELETE_HOLLOW_JOBS, keys.length, ...keys));
      if (hollow > 0) {
        logger.warn(
          'jobs taken from the old Redis primary during the switch were left without data on the new one; they are added again',
          {
            queue: queue.name,
            jobs: hollow,
          },
        );
      }
      for (const entry of this.entries.values()) await queue.add(entry.data, entry.options);
      statsd.increment(`queue.${queue.name}.replayed`, this.entries.size);
    } catch (err) {
      logger.warn('recent jobs could not be added again after Redis reconnected; they may have been lost', {
        queue: queue.name,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  }
}
