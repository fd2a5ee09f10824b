import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { AggregatorRegistry } from 'prom-client';
import { registry } from './prometheus';

const REQUEST = 'tandem:metrics-request';
const REPLY = 'tandem:metrics-reply';
const TIMEOUT_MS = 5000;

interface Reply {
  type: typeof REPLY;
  id: string;
  text?: string;
  error?: string;
}

/**
 * In the cluster primary (server.workers > 1): answers a worker's GET
 * /metrics with every worker's metrics combined (prom-client's
 * AggregatorRegistry sums counters and histograms), so whichever worker a
 * scrape lands on, Prometheus sees the whole process group.
 */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: { type?: string; id?: string } | null) => {
    if (message?.type !== REQUEST || !message.id) return;
    const id = message.id;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: REPLY, id, text } satisfies Reply),
      (err: unknown) =>
        worker.send({ type: REPLY, id, error: err instanceof Error ? err.message : String(err) } satisfies Reply),
    );
  });
}

if (cluster.isWorker) {
  // Constructing one installs prom-client's listener that answers the primary's collection requests.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
}

/** The GET /metrics text: the whole cluster's when this is a worker, this process's otherwise. */
export function metricsText(): Promise<string> {
  const send = process.send?.bind(process);
  if (!cluster.isWorker || !send) return registry.metrics();
  const id = randomUUID();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error('the cluster primary did not answer the metrics request'));
    }, TIMEOUT_MS);
    const onMessage = (message: Reply | null): void => {
      if (message?.type !== REPLY || message.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      if (message.text !== undefined) resolve(message.text);
      else reject(new Error(message.error ?? 'no metrics'));
    };
    process.on('message', onMessage);
    send({ type: REQUEST, id });
  });
}
