import { Gauge } from 'prom-client';
import { prom } from '../monitor';
import type { ShapeLimits } from './message-scanner';

/** What bounds the Thrift server's memory and time (thrift.* in the configuration). */
export interface ThriftLimits {
  /** Largest message; also the most one connection holds for a message still arriving. */
  maxFrameBytes: number;
  /** The most all connections together hold for messages still arriving. */
  maxBufferedBytes: number;
  /** How long a message may take to arrive once its first byte is in; 0 turns it off. */
  readTimeoutMs: number;
  /** How long a new connection may stay without sending its first byte; 0 turns it off. */
  firstByteTimeoutMs: number;
  /** A connection with no byte in either direction for this long is closed; 0 turns it off. */
  idleTimeoutMs: number;
  /** Open connections at most; one more is closed at once. */
  maxConnections: number;
  /** Open connections from one client address at most. */
  maxConnectionsPerAddress: number;
  /** How large one message's shape may be (nesting, fields per struct, values). */
  shape: ShapeLimits;
}

/** Open connections and bytes held, read by the gauges when /metrics is scraped. */
export const thriftNow = { connections: 0, bufferedBytes: 0 };

new Gauge({
  name: 'tandem_thrift_connections',
  help: 'Open Thrift connections (saturation; thrift.max_connections is the limit).',
  registers: [prom.registry],
  collect() {
    this.set(thriftNow.connections);
  },
});

new Gauge({
  name: 'tandem_thrift_buffered_bytes',
  help: 'Bytes held for Thrift messages still arriving (saturation; thrift.max_buffered_bytes is the limit).',
  registers: [prom.registry],
  collect() {
    this.set(thriftNow.bufferedBytes);
  },
});

/**
 * The bytes all connections may hold for messages still arriving, charged as
 * they arrive (a frame's announced size costs nothing until its bytes come,
 * so announcing large frames and sending nothing reserves nothing). A
 * message that does not fit is refused (its connection closed and counted)
 * rather than queued: waiting would hold the client's socket and buffers all
 * the same.
 */
export class ByteBudget {
  private used = 0;

  constructor(readonly max: number) {}

  /** Takes `bytes` if they fit; false (and nothing taken) if they do not. */
  take(bytes: number): boolean {
    if (this.used + bytes > this.max) return false;
    this.used += bytes;
    thriftNow.bufferedBytes = this.used;
    return true;
  }

  give(bytes: number): void {
    this.used -= bytes;
    thriftNow.bufferedBytes = this.used;
  }

  get inUse(): number {
    return this.used;
  }
}
