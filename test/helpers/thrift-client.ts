import thrift from 'thrift';
import { Client as TandemClient } from '../../thrift/gen-nodejs/Tandem';

export interface ClientOptions {
  framed?: boolean;
  compact?: boolean;
  host?: string;
}

export interface ConnectedClient<C> {
  client: C;
  connection: thrift.Connection;
  /** Ends the connection; pending calls are dropped. */
  close: () => void;
}

/**
 * A real `thrift` npm client of any generated service, connected to
 * 127.0.0.1:port: framed binary by default, as Java and Go clients are.
 */
export async function thriftClient<C>(
  ClientClass: thrift.TClientConstructor<C>,
  port: number,
  options: ClientOptions = {},
): Promise<ConnectedClient<C>> {
  const connection = thrift.createConnection(options.host ?? '127.0.0.1', port, {
    transport: options.framed === false ? thrift.TBufferedTransport : thrift.TFramedTransport,
    protocol: options.compact ? thrift.TCompactProtocol : thrift.TBinaryProtocol,
  });
  await new Promise<void>((resolve, reject) => {
    connection.once('connect', () => resolve());
    connection.once('error', reject);
  });
  connection.on('error', () => undefined);
  const client = thrift.createClient(ClientClass, connection);
  return { client, connection, close: () => connection.end() };
}

/** A real `thrift` npm client of service Tandem; `close()` ends its connection. */
export async function tandemClient(port: number, options: ClientOptions = {}): Promise<ConnectedClient<TandemClient>> {
  return thriftClient(TandemClient, port, options);
}
