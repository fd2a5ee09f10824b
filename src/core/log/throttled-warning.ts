import { logger } from '.';
import { statsd } from '../monitor';
import { type Dependency, outages } from './outage';

/**
 * A warning for a failure that may repeat on every request (a cache or
 * metrics outage): each occurrence is counted in statsd under `metric` (when
 * given), and the line is logged at most once per `intervalMs`, so an outage
 * does not flood the log. A line after some were held back says how many in
 * `suppressed` (occurrences not logged since the previous line).
 */
export class ThrottledWarning {
  private lastLog = 0;
  private suppressed = 0;

  constructor(
    private readonly message: string,
    private readonly metric?: string,
    private readonly intervalMs = 60_000,
    /** A failure of this dependency: noted in the outage log (one line per outage) instead of a line of its own. */
    private readonly dependency?: Dependency,
    /** `info` for an occurrence that is no fault (an idle client closed), but may still come in floods. */
    private readonly level: 'warn' | 'info' = 'warn',
  ) {}

  /** Counts this occurrence; logs it with `fields` unless one was logged within the interval. */
  warn(fields: Record<string, unknown>): void {
    if (this.metric) statsd.increment(this.metric);
    if (this.dependency) {
      outages.down(this.dependency, fields.error ?? this.message);
      return;
    }
    const now = Date.now();
    if (now - this.lastLog < this.intervalMs) {
      this.suppressed += 1;
      return;
    }
    this.lastLog = now;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    logger.log(this.level, this.message, suppressed > 0 ? { ...fields, suppressed } : fields);
  }
}
