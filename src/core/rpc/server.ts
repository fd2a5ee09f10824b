import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { buildAllowList, isAllowed } from '../config';
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
  /** Connections that have not sent a byte yet, oldest first: the first to go when room is needed. */
  private readonly silent = new Set<ThriftConnection>();
  /** Open connections per client address. */
  private readonly perAddress = new Map<string, number>();
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
    if (!this.makeRoom(remote)) {
      socket.destroy();
      return;
    }
    const address = remote ?? '';
    const connection = new ThriftConnection(socket, {
      processor: this.options.processor,
      limits: this.options.limits,
      budget: this.budget,
      certName: socket instanceof tls.TLSSocket ? verifiedName(socket) : undefined,
      onReject: (reason, detail) => this.onReject(reason, detail, remote),
      onFirstByte: () => this.silent.delete(connection),
    });
    this.connections.add(connection);
    this.silent.add(connection);
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    thriftNow.connections = this.connections.size;
    socket.once('close', () => this.forget(connection));
  }

  /** Takes a closed (or closing) connection out of the counts; once per connection. */
  private forget(connection: ThriftConnection): void {
    if (!this.connections.delete(connection)) return;
    this.silent.delete(connection);
    const address = connection.peer ?? '';
    const left = (this.perAddress.get(address) ?? 1) - 1;
    if (left > 0) this.perAddress.set(address, left);
    else this.perAddress.delete(address);
    thriftNow.connections = this.connections.size;
  }

  /**
   * Whether a new connection from `remote` fits under the connection caps
   * (per address, then in all). At a cap, the oldest connection that has not
   * sent a byte (from that address, or from any) is closed to make room: a
   * crowd of silent sockets must not lock out a caller that speaks. With none
   * to close, the new connection is refused at once rather than queued: a
   * client told no can try another instance.
   */
  private makeRoom(remote: string | undefined): boolean {
    const { maxConnections, maxConnectionsPerAddress } = this.options.limits;
    const fromAddress = this.perAddress.get(remote ?? '') ?? 0;
    if (fromAddress >= maxConnectionsPerAddress && !this.evictSilent(remote)) {
      this.onReject(
        'too_many_from_address',
        `${fromAddress} open from this address, thrift.max_connections_per_address is ${maxConnectionsPerAddress}`,
        remote,
      );
      return false;
    }
    if (this.connections.size >= maxConnections && !this.evictSilent(undefined)) {
      this.onReject(
        'too_many_connections',
        `${this.connections.size} open, thrift.max_connections is ${maxConnections}`,
        remote,
      );
      return false;
    }
    return true;
  }

  /** Closes the oldest silent connection (from `remote`, or from any address when undefined); false if there is none. */
  private evictSilent(remote: string | undefined): boolean {
    for (const connection of this.silent) {
      if (remote !== undefined && connection.peer !== remote) continue;
      this.onReject('evicted', 'closed before sending a byte, to make room for a new connection', connection.peer);
      // Out of the counts now, not at its close event: the next connection accepted in this tick sees the room.
      this.forget(connection);
      connection.destroy();
      return true;
    }
    return false;
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
