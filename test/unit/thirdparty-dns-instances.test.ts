import { ThriftServiceClient, type MetricsSink } from '../../thirdparty/base';
import { Client } from '../../thrift/gen-nodejs/Zeus';
import { waitFor } from '../helpers/wait';

const quietMetrics: MetricsSink = { timing: () => undefined, increment: () => undefined, gauge: () => undefined };

/** A client whose instances come from a DNS name answered by `answer` (no socket is opened: no call is made). */
function clientResolving(answer: () => string[]): ThriftServiceClient<Client> {
  return new ThriftServiceClient(Client, {
    service: 'zeus',
    instances: { kind: 'dns', name: 'zeus.test', port: 9190, refreshMs: 20 },
    resolver: (name) => (name === 'zeus.test' ? Promise.resolve(answer()) : Promise.reject(new Error('unknown name'))),
    timeoutMs: 100,
    poolSize: 1,
    idleMs: 1000,
    retries: 1,
    retryBackoffMs: 10,
    retryBudget: { percent: 20, minPerSecond: 3 },
    breaker: { errorPercent: 50, volume: 5, resetMs: 1000 },
    ejection: { afterFailures: 5, baseMs: 100, maxMs: 1000 },
    metrics: quietMetrics,
  });
}

const addresses = (client: ThriftServiceClient<Client>): string[] =>
  client
    .instances()
    .map((i) => i.address)
    .sort();

describe('instances resolved from a DNS name', () => {
  it('when the name resolves to more, fewer or no addresses, then the instances follow it and a failed resolution keeps the last list', async () => {
    let answer: string[] | Error = ['10.0.0.1', '10.0.0.2'];
    const client = clientResolving(() => {
      if (answer instanceof Error) throw answer;
      return answer;
    });
    try {
      await client.ready();
      expect(addresses(client)).toEqual(['10.0.0.1:9190', '10.0.0.2:9190']);

      answer = ['10.0.0.2', '10.0.0.3', '10.0.0.3'];
      await waitFor(() => (addresses(client).includes('10.0.0.3:9190') ? true : undefined), 2000, 'the new address');
      expect(addresses(client)).toEqual(['10.0.0.2:9190', '10.0.0.3:9190']);

      answer = new Error('SERVFAIL');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(addresses(client)).toEqual(['10.0.0.2:9190', '10.0.0.3:9190']);

      // An empty answer is taken as a resolver's hiccup, not as "no instance": the list stays.
      answer = [];
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(addresses(client)).toEqual(['10.0.0.2:9190', '10.0.0.3:9190']);
    } finally {
      await client.close();
    }
  });
});
