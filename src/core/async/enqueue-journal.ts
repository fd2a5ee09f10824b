import type Bull from 'bull';
import { logger } from '../log';
import { statsd } from '../monitor';

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
 * second add of those would run them twice.
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
