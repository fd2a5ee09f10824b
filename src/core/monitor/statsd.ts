import { StatsD } from 'hot-shots';
import { logger } from '../log';

export interface StatsdOptions {
  host: string;
  port: number;
  prefix: string;
  enabled: boolean;
}

/**
 * statsd through hot-shots. Metrics are buffered and sent over UDP in batches;
 * a statsd outage is logged (at most once a minute) and never slows or fails
 * the caller.
 */
export class Statsd {
  private client: StatsD;
  private lastErrorLog = 0;

  constructor(options: StatsdOptions) {
    this.client = Statsd.build(options, (err) => this.onError(err));
  }

  private static build(options: StatsdOptions, onError: (err: Error) => void): StatsD {
    return new StatsD({
      host: options.host,
      port: options.port,
      prefix: options.prefix,
      // hot-shots' mock mode sends nothing: the documented way to turn it off.
      mock: !options.enabled,
      maxBufferSize: 1400,
      bufferFlushInterval: 50,
      cacheDns: true,
      errorHandler: onError,
    });
  }

  reconfigure(options: StatsdOptions): void {
    const old = this.client;
    this.client = Statsd.build(options, (err) => this.onError(err));
    old.close(() => undefined);
  }

  private onError(err: Error): void {
    const now = Date.now();
    if (now - this.lastErrorLog < 60_000) return;
    this.lastErrorLog = now;
    logger.warn('statsd send failed; metrics are being dropped until it recovers', { error: err.message });
  }

  timing(name: string, ms: number): void {
    this.client.timing(name, ms);
  }

  increment(name: string, value = 1): void {
    this.client.increment(name, value);
  }

  gauge(name: string, value: number): void {
    this.client.gauge(name, value);
  }

  /** Sends what is buffered and closes the socket. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.client.close(() => resolve());
    });
  }
}

/** Makes a route or method name safe as one statsd name segment. */
export function metricSegment(raw: string): string {
  const cleaned = raw
    .replace(/^\/+/, '')
    .replace(/:/g, '_')
    .replace(/[^A-Za-z0-9_-]+/g, '.');
  return cleaned.replace(/\.+$/, '') || 'root';
}
