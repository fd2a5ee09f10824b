/**
 * Per-request latencies of one measured run, kept as raw samples (a few
 * hundred thousand doubles at most) so both loaders report percentiles the
 * same way, at sub-millisecond resolution.
 */
export class LatencyRecorder {
  private samples = new Float64Array(1 << 16);
  private size = 0;

  record(ms: number): void {
    if (this.size === this.samples.length) {
      const bigger = new Float64Array(this.samples.length * 2);
      bigger.set(this.samples);
      this.samples = bigger;
    }
    this.samples[this.size] = ms;
    this.size += 1;
  }

  get count(): number {
    return this.size;
  }

  /** The value at or below which `p` percent of the samples fall (nearest rank). */
  percentiles(ps: readonly number[]): number[] {
    if (this.size === 0) return ps.map(() => Number.NaN);
    const sorted = this.samples.slice(0, this.size).sort();
    return ps.map((p) => {
      const rank = Math.min(this.size - 1, Math.max(0, Math.ceil((p / 100) * this.size) - 1));
      return sorted[rank] as number;
    });
  }
}
