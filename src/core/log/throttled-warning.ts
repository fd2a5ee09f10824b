import { logger } from '.';
import { statsd } from '../monitor';

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
  ) {}

  /** Counts this occurrence; logs it with `fields` unless one was logged within the interval. */
  warn(fields: Record<string, unknown>): void {
    if (this.metric) statsd.increment(this.metric);
    const now = Date.now();
    if (now - this.lastLog < this.intervalMs) return;
    this.lastLog = now;
    logger.warn(this.message, fields);
  }
}
