/**
 * The keyed jobs (enqueued with a key, which is their job id) this process
 * finished in the last `keepMs`. A Sentinel failover can bring such a job
 * back after it ran: its completion, written on the old primary, did not
 * reach the new one, which then holds it as waiting (the enqueue journal's
 * replay) or as stalled in `active` (Bull's stalled check puts it back). A
 * key means "this work once" (a second enqueue with it adds nothing while
 * the job is kept), so the worker that finished it does not run it again.
 * Only this process's own runs are known: another worker process may still
 * run such a job a second time.
 */
/**
 * How long a worker remembers the keyed jobs it finished: a completion lost in a failover brings the job back by
 * the enqueue journal's replay (within 10 s) or by Bull's stalled check (every 30 s by default).
 */
const DONE_MEMORY_MS = 75_000;

export class RecentlyDone {
  /** Job id -> when it finished; insertion order is finishing order, so the oldest are first. */
  private readonly done = new Map<string, number>();

  constructor(
    private readonly keepMs = DONE_MEMORY_MS,
    /** Kept at most, the oldest dropped first: a bound on memory at any job rate. */
    private readonly most = 100_000,
  ) {}

  /** How long ago this process finished the job `id`, or undefined when it did not within keepMs. */
  finishedAgo(id: string, now = Date.now()): number | undefined {
    this.prune(now);
    const at = this.done.get(id);
    return at === undefined ? undefined : now - at;
  }

  finished(id: string, now = Date.now()): void {
    this.done.delete(id);
    this.done.set(id, now);
    this.prune(now);
  }

  private prune(now: number): void {
    for (const [id, at] of this.done) {
      if (now - at <= this.keepMs && this.done.size <= this.most) return;
      this.done.delete(id);
    }
  }
}
