import { performance } from 'node:perf_hooks';

/** How often the loop is sampled: the lag guard sees a stall within this much of its end. */
const SAMPLE_MS = 10;

/**
 * The event loop's lag as a timer sees it: every SAMPLE_MS a timer notes how
 * much later than asked it ran. A stalled loop (a long synchronous task, a
 * flood of ready sockets) runs its timers before its next round of I/O, so
 * the requests read in that round see the stall they waited through.
 *
 * A timer rather than perf_hooks' monitorEventLoopDelay: the histogram gives
 * a distribution over a window that has to be reset by hand, where admission
 * needs one number, now, read on every request as a field access.
 */
class LagSampler {
  /** The lag of the last sample, in ms. */
  lastMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private users = 0;

  /** Starts sampling (once for all users); the returned function stops it when the last user is done. */
  acquire(): () => void {
    this.users += 1;
    if (!this.timer) {
      this.last = performance.now();
      this.lastMs = 0;
      this.timer = setInterval(() => this.sample(), SAMPLE_MS);
      // Sampling never keeps the process alive on its own.
      this.timer.unref();
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.users -= 1;
      if (this.users === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
        this.lastMs = 0;
      }
    };
  }

  private sample(): void {
    const now = performance.now();
    this.lastMs = Math.max(0, now - this.last - SAMPLE_MS);
    this.last = now;
  }
}

/** The process's one sampler: every door's admission reads the same loop. */
export const eventLoopLag = new LagSampler();
