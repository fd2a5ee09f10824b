export interface RetryBudgetOptions {
  /** Retries allowed as a share (%) of the calls made over the window. */
  percent: number;
  /** Retries allowed per second whatever the traffic, so a quiet client can still retry. */
  minPerSecond: number;
  /** The window calls and retries are counted over; default 10 s. */
  windowMs?: number;
  /** The clock, for tests; default Date.now. */
  now?: () => number;
}

/** Counts since the budget was made, for metrics and tests. */
export interface RetryBudgetStats {
  calls: number;
  retries: number;
  /** Retries asked for and refused because the budget was spent. */
  refused: number;
}

const BUCKETS = 10;

/**
 * A retry budget as Finagle's: over a sliding window, retries may be at most
 * `percent`% of the calls plus `minPerSecond` per second of the window. When
 * an instance fails, the calls that fail on it are retried elsewhere; when
 * every instance fails, retries stop at the budget instead of multiplying the
 * load on a service that is already down (a fixed retry count per call would
 * triple it).
 *
 * Each first attempt deposits (`recordCall`); each retry withdraws
 * (`tryRetry`), and is refused when the window holds no token for it.
 */
export class RetryBudget {
  private readonly percent: number;
  private readonly reserve: number;
  private readonly bucketMs: number;
  private readonly now: () => number;
  private readonly calls = new Float64Array(BUCKETS);
  private readonly retries = new Float64Array(BUCKETS);
  /** The index (time / bucketMs) of the newest bucket. */
  private head = 0;
  private readonly totals: RetryBudgetStats = { calls: 0, retries: 0, refused: 0 };

  constructor(options: RetryBudgetOptions) {
    const windowMs = options.windowMs ?? 10_000;
    this.percent = options.percent;
    this.reserve = (options.minPerSecond * windowMs) / 1000;
    this.bucketMs = windowMs / BUCKETS;
    this.now = options.now ?? Date.now;
    this.head = Math.floor(this.now() / this.bucketMs);
  }

  /** A first attempt is being made: it adds `percent`/100 of a retry to the budget. */
  recordCall(): void {
    const at = this.advance();
    this.calls[at] = (this.calls[at] ?? 0) + 1;
    this.totals.calls += 1;
  }

  /** Takes one retry from the budget; false (and nothing taken) when it is spent. */
  tryRetry(): boolean {
    const at = this.advance();
    if (this.balance() < 1) {
      this.totals.refused += 1;
      return false;
    }
    this.retries[at] = (this.retries[at] ?? 0) + 1;
    this.totals.retries += 1;
    return true;
  }

  /** Retries still allowed in the window now. */
  balance(): number {
    this.advance();
    const calls = this.calls.reduce((a, b) => a + b, 0);
    const retries = this.retries.reduce((a, b) => a + b, 0);
    return this.reserve + (calls * this.percent) / 100 - retries;
  }

  stats(): RetryBudgetStats {
    return { ...this.totals };
  }

  /** Clears the buckets the clock has moved past; returns the current bucket's slot. */
  private advance(): number {
    const index = Math.floor(this.now() / this.bucketMs);
    const steps = Math.min(index - this.head, BUCKETS);
    for (let i = 1; i <= steps; i += 1) {
      const slot = (this.head + i) % BUCKETS;
      this.calls[slot] = 0;
      this.retries[slot] = 0;
    }
    if (index > this.head) this.head = index;
    return this.head % BUCKETS;
  }
}
