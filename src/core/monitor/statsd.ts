import { StatsD } from 'hot-shots';
import { roundedMs } from '../ctx';
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
 * the caller. Turned off, there is no client at all: hot-shots' `mock` mode,
 * the other way to send nothing, keeps every message in an array that is
 * never emptied (a leak of one string per request).
 */
export class Statsd {
  private client: StatsD | undefined;
  private lastErrorLog = 0;

  constructor(options: StatsdOptions) {
    this.client = this.build(options);
  }

  private build(options: StatsdOptions): StatsD | undefined {
    if (!options.enabled) return undefined;
    return new StatsD({
      host: options.host,
      port: options.port,
      prefix: options.prefix,
      maxBufferSize: 1400,
      bufferFlushInterval: 50,
      cacheDns: true,
      errorHandler: (err) => this.onError(err),
    });
  }

  /** Whether metrics are being sent. */
  get enabled(): boolean {
    return this.client !== undefined;
  }

  reconfigure(options: StatsdOptions): void {
    const old = this.client;
    this.client = this.build(options);
    old?.close(() => undefined);
  }

  private onError(err: Error): void {
    const now = Date.now();
    if (now - this.lastErrorLog < 60_000) return;
    this.lastErrorLog = now;
    logger.warn('statsd send failed; metrics are being dropped until it recovers', { error: err.message });
  }

  /** Sends a timing in milliseconds, rounded to 10 µs (see roundedMs). */
  timing(name: string, ms: number): void {
    this.client?.timing(name, roundedMs(ms));
  }

  increment(name: string, value = 1): void {
    this.client?.increment(name, value);
  }

  gauge(name: string, value: number): void {
    this.client?.gauge(name, value);
  }

  /** Sends what is buffered and closes the socket. */
  close(): Promise<void> {
    const { client } = this;
    this.client = undefined;
    if (!client) return Promise.resolve();
    return new Promise((resolve) => {
      client.close(() => resolve());
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
