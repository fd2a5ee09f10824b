import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config';
import { logger } from '../log';
import { InFlight, ThriftServer, type ThriftProcessor } from '../rpc';
import type { Component } from './lifecycle';
import { rethrowListenError } from './listen-error';

function listenHttp(server: http.Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Closes the HTTP server, letting in-flight requests finish within the deadline. */
async function closeHttp(server: http.Server, deadlineMs: number): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => {
    logger.warn('HTTP requests still running at the shutdown deadline; closing their connections');
    server.closeAllConnections();
  }, deadlineMs);
  timer.unref();
  // Keep-alive connections that become idle during the drain are closed as they do.
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  sweep.unref();
  await closed;
  clearTimeout(timer);
  clearInterval(sweep);
}

/** Where a listener binds, and the configuration section a failed bind names. */
interface Bind {
  name: string;
  section: string;
  host: string;
  port: number;
}

/** An HTTP server as a lifecycle component: listens at start, drains at stop; `address` once listening. */
export function httpListener(
  server: () => http.Server,
  bind: Bind,
): Component & { readonly address: AddressInfo | undefined } {
  let listening: http.Server | undefined;
  let address: AddressInfo | undefined;
  return {
    name: `${bind.name} listener`,
    get address() {
      return address;
    },
    start: async () => {
      listening = server();
      address = await listenHttp(listening, bind.port, bind.host).catch(rethrowListenError(bind));
    },
    stop: async (deadlineMs) => {
      if (listening) await closeHttp(listening, deadlineMs);
    },
  };
}

/** The Thrift server, with its limits from thrift.*, as a lifecycle component. */
export function thriftListener(
  config: Config,
  processor: (inFlight: InFlight) => ThriftProcessor,
): Component & { readonly address: AddressInfo | undefined } {
  const { thrift } = config;
  let server: ThriftServer | undefined;
  let address: AddressInfo | undefined;
  return {
    name: 'Thrift listener',
    get address() {
      return address;
    },
    start: async () => {
      const inFlight = new InFlight();
      server = new ThriftServer({
        processor: processor(inFlight),
        limits: {
          maxFrameBytes: thrift.max_frame_bytes,
          maxBufferedBytes: thrift.max_buffered_bytes,
          readTimeoutMs: thrift.read_timeout_ms,
          firstByteTimeoutMs: thrift.first_byte_timeout_ms,
          idleTimeoutMs: thrift.idle_timeout_ms,
          maxConnections: thrift.max_connections,
          maxConnectionsPerAddress: thrift.max_connections_per_address,
          shape: {
            maxDepth: thrift.max_depth,
            maxStructFields: thrift.max_struct_fields,
            maxValues: thrift.max_message_values,
          },
        },
        tls: thrift.tls,
        allowedNetworks: thrift.allowed_networks,
        inFlight,
      });
      address = await server
        .listen(thrift.port, thrift.host)
        .catch(rethrowListenError({ name: 'Thrift', section: 'thrift', ...thrift }));
    },
    stop: async (deadlineMs) => {
      if (address && server) await server.close(deadlineMs);
    },
  };
}
