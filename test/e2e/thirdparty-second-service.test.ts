import net from 'node:net';
import thrift from 'thrift';
import { buildConfig, type Config } from '../../src/core/config';
import { serviceOptions, ThriftServiceClient, type MetricsSink } from '../../thirdparty/base';
import { Client, Processor } from '../fixtures/thrift/gen-nodejs/Probe';

/**
 * A second sibling service added as docs/thirdparty.md says: a
 * thirdparty.<name> section and a thin typed client over ThriftServiceClient,
 * nothing else. The service is the test-only Probe IDL, served by two real
 * Thrift servers (framed, binary).
 */

/** The whole typed client, as a new service would write it. */
class ProbeServiceClient {
  private readonly rpc: ThriftServiceClient<Client>;

  constructor(config: Pick<Config, 'thirdparty'>, options: { metrics?: MetricsSink } = {}) {
    this.rpc = new ThriftServiceClient(Client, serviceOptions(config, 'probe', options));
  }

  echo(s: string): Promise<string> {
    return this.rpc.call('echo', (c) => c.echo(s), { idempotent: true });
  }

  instances(): string[] {
    return this.rpc.instances().map((i) => i.address);
  }

  close(): Promise<void> {
    return this.rpc.close();
  }
}

const quietMetrics: MetricsSink = { timing: () => undefined, increment: () => undefined, gauge: () => undefined };

/** A Probe server whose echo answers with its own name, so a test sees which instance answered. */
async function probeServer(name: string): Promise<{ port: number; stop: () => Promise<void> }> {
  const server = thrift.createServer(
    Processor,
    { echo: (s: string) => Promise.resolve(`${name}:${s}`) },
    { transport: thrift.TFramedTransport, protocol: thrift.TBinaryProtocol },
  ) as unknown as net.Server;
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Stopping drops the open connections too, as a crashed instance would.
  const stop = async (): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  return { port: (server.address() as net.AddressInfo).port, stop };
}

describe('a second sibling service, added by configuration and a thin typed client', () => {
  it('when thirdparty.probe lists two instances, then calls are answered by both and one gone changes nothing for the caller', async () => {
    const a = await probeServer('a');
    const b = await probeServer('b');
    const config = buildConfig(
      { env: 'test', thirdparty: { probe: { instances: [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`] } } },
      {},
    );
    const client = new ProbeServiceClient(config, { metrics: quietMetrics });
    try {
      expect(client.instances()).toEqual([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`]);

      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => client.echo(String(i))));
      expect(new Set(answers.map((s) => s.split(':')[0]))).toEqual(new Set(['a', 'b']));

      await a.stop();
      const after = await Promise.all(Array.from({ length: 20 }, (_, i) => client.echo(String(i))));
      expect(after.every((s) => s.startsWith('b:'))).toBe(true);
    } finally {
      await client.close();
      await b.stop();
    }
  });

  it('when the configuration has no section for the service, then the client refuses to start naming it', () => {
    const config = buildConfig({ env: 'test' }, {});

    expect(() => new ProbeServiceClient(config)).toThrow(
      'The sibling service probe is not configured: add a thirdparty.probe section',
    );
  });
});
