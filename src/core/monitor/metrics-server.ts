import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildAllowList, isAllowed } from '../config';
import { registry } from './prometheus';

export interface MetricsServerOptions {
  host: string;
  port: number;
  /** Client networks (CIDR) allowed to read /metrics; empty allows all. */
  allowedNetworks: readonly string[];
}

export interface MetricsServer {
  address: AddressInfo;
  close(): Promise<void>;
}

/**
 * GET /metrics (and GET /ping) for a process that has no HTTP door of its
 * own, the Bull worker: Prometheus scrapes it as a target of its own, one per
 * process. Nothing else is served; a client outside the allowed networks gets
 * 403. A plain node:http server: the worker carries no Express app.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const allowList = buildAllowList(options.allowedNetworks);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(res, 405, 'Only GET is served here.\n');
    if (path === '/ping') return answer(res, 200, 'pong\n');
    if (path !== '/metrics') return answer(res, 404, 'Only /metrics and /ping are served here.\n');
    if (!isAllowed(allowList, req.socket.remoteAddress))
      return answer(res, 403, 'This address may not read /metrics (metrics.allowed_networks).\n');
    registry.metrics().then(
      (text) => answer(res, 200, text, registry.contentType),
      (err: unknown) =>
        answer(res, 500, `Could not collect the metrics: ${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  // A scrape is one small request: a client that dawdles is cut off rather than holding a socket.
  server.headersTimeout = 5000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function answer(res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
