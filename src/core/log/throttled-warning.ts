import { logger } from '.';
import { statsd } from '../monitor';
import { type Dependency, outages } from './outage';

/**
 * A warning for a failure that may repeat on every request (a cache or
 * metrics outage): each occurrence is counted in statsd under `metric` (when
 * given), and the line is logged at most once per `intervalMs`, so an outage
 * does not flood the log.
 */
export class ThrottledWarning {
  private lastLog = 0;

  constructor(
    private readonly message: string,
    private readonly metric?: string,
    private readonly intervalMs = 60_000,
    /** A failure of this dependency: noted in the outage log (one line per outage) instead of a line of its own. */
    private readonly dependency?: Dependency,
  ) {}

  /** Counts this occurrence; logs it with `fields` unless one was logged within the interval. */
  warn(fields: Record<string, unknown>): void {
    if (this.metric) statsd.increment(this.metric);
    if (this.dependency) {
      outages.down(this.dependency, fields.error ?? this.message);
      return;
    }
    const now = Date.now();
    if (now - this.lastLog < this.intervalMs) return;
    this.lastLog = now;
    logger.warn(this.message, fields);
  }
}
