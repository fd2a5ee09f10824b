import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { buildAllowList, isAllowed } from '../config/cidr';
import { logger } from '../log';
import { ThrottledWarning } from '../log/throttled-warning';
import { prom, statsd } from '../monitor';
import { type RejectReason, ThriftConnection, type ThriftProcessor } from './connection';
import type { InFlight } from './in-flight';
import { ByteBudget, type ThriftLimits, thriftNow } from './limits';

export interface ThriftServerOptions {
  processor: ThriftProcessor;
  limits: ThriftLimits;
  /** TLS on the port when key and cert are set (PEM file paths). */
  tls?: { key: string | null; cert: string | null; ca: string | null; require_client_cert: boolean } | undefined;
  /** CIDR networks allowed to connect; empty allows every address. */
  allowedNetworks: readonly string[];
  inFlight: InFlight;
}

/** The CN of a TLS client's certificate when the CA verified it; undefined otherwise. */
function verifiedName(socket: tls.TLSSocket): string | undefined {
  if (!socket.authorized) return undefined;
  const cn = socket.getPeerCertificate().subject?.CN;
  return typeof cn === 'string' && cn !== '' ? cn : undefined;
}

/**
 * The Thrift server: one port for framed and unframed transports and the
 * binary and compact protocols, chosen per connection. A client's fault
 * closes its own connection and is counted; the server never dies of it.
 */
export class ThriftServer {
  private readonly server: net.Server;
  private readonly connections = new Set<ThriftConnection>();
  private readonly allowList: net.BlockList | undefined;
  private readonly budget: ByteBudget;
  /** Every accepted socket, a TLS one still in its handshake included (not yet a connection): closed at shutdown. */
  private readonly sockets = new Set<net.Socket>();
  /** One throttled line per reason: a flood of one kind of hostile client must not hide the first of another. */
  private readonly rejectWarnings = new Map<RejectReason, ThrottledWarning>();

  constructor(private readonly options: ThriftServerOptions) {
    this.allowList = buildAllowList(options.allowedNetworks);
    this.budget = new ByteBudget(options.limits.maxBufferedBytes);
    this.server = this.createServer();
    this.server.on('connection', (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  private createServer(): net.Server {
    const options = this.options.tls;
    if (!options?.key || !options.cert) return net.createServer((socket) => this.onConnection(socket));
    const server = tls.createServer(
      {
        key: fs.readFileSync(options.key),
        cert: fs.readFileSync(options.cert),
        ca: options.ca ? fs.readFileSync(options.ca) : undefined,
        // A certificate is asked of every client, so that one signed by the CA names its caller.
        requestCert: true,
        rejectUnauthorized: options.require_client_cert,
        // A handshake is held no longer than a message may take to arrive.
        handshakeTimeout: this.options.limits.readTimeoutMs || 120_000,
      },
      (socket) => this.onConnection(socket),
    );
    server.on('tlsClientError', (err, socket) => {
      this.onReject('tls', err.message, socket.remoteAddress);
      // With a tlsClientError listener Node leaves the socket open (a handshake timeout included): close it here.
      socket.destroy();
    });
    return server;
  }

  private onReject(reason: RejectReason, detail: string, remote: string | undefined): void {
    statsd.increment(`thrift.rejected.${reason}`);
    prom.thriftRejected.inc({ reason });
    // Rejections come in floods (a scanner, a connection storm, a misconfigured pool): each is counted, one line a minute.
    let warning = this.rejectWarnings.get(reason);
    if (!warning) {
      // An idle client is no fault: its close is logged below warn.
      const level = reason === 'idle_timeout' ? 'info' : 'warn';
      warning = new ThrottledWarning('thrift connection closed', undefined, 60_000, undefined, level);
      this.rejectWarnings.set(reason, warning);
    }
    warning.warn({ reason, detail, remote });
  }

  private onConnection(socket: net.Socket): void {
    const remote = socket.remoteAddress;
    if (!isAllowed(this.allowList, remote)) {
      this.onReject('not_allowed', 'address outside thrift.allowed_networks', remote);
      socket.destroy();
      return;
    }
    const { limits } = this.options;
    if (this.connections.size >= limits.maxConnections) {
      // Closed at once rather than queued: a client told no can try another instance.
      this.onReject(
        'too_many_connections',
        `${this.connections.size} open, thrift.max_connections is ${limits.maxConnections}`,
        remote,
      );
      socket.destroy();
      return;
    }
    const connection = new ThriftConnection(socket, {
      processor: this.options.processor,
      limits,
      budget: this.budget,
      certName: socket instanceof tls.TLSSocket ? verifiedName(socket) : undefined,
      onReject: (reason, detail) => this.onReject(reason, detail, remote),
    });
    this.connections.add(connection);
    thriftNow.connections = this.connections.size;
    socket.once('close', () => {
      this.connections.delete(connection);
      thriftNow.connections = this.connections.size;
    });
  }

  listen(port: number, host: string): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        // Only once listening: a failed listen() is the caller's to report, in one line.
        this.server.on('error', (err) => logger.error('thrift server error', { error: err.message }));
        resolve(this.server.address() as net.AddressInfo);
      });
    });
  }

  /**
   * Stops accepting, lets calls in flight finish within the deadline, then
   * closes every connection.
   */
  async close(deadlineMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const drained = await this.options.inFlight.idle(deadlineMs);
    if (!drained) {
      logger.warn('thrift calls still running at the shutdown deadline; closing their connections', {
        in_flight: this.options.inFlight.size,
      });
    }
    // Each connection writes the answers still waiting in its outbox, then ends.
    for (const connection of this.connections) connection.end();
    const hard = setTimeout(() => {
      for (const connection of this.connections) connection.destroy();
      // A TLS client still in its handshake has no connection yet, and would hold close() until its handshake timeout.
      for (const socket of this.sockets) socket.destroy();
    }, 1000);
    hard.unref();
    await closed;
    clearTimeout(hard);
  }
}
