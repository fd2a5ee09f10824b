import cluster from 'node:cluster';
import { startApp } from './core/app/app';
import { loadConfigOrExit } from './core/config';
import { flushLogger, logger } from './core/log';
import { serveClusterMetrics } from './core/monitor/cluster-metrics';
import { stopOnSignals } from './core/signal';
import { appModules } from './modules';

/**
 * `make server`: serve HTTP and Thrift in this process, or in
 * `server.workers` processes sharing the two ports through node:cluster.
 */
const STOP_MESSAGE = 'tandem:stop';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  if (config.server.workers > 1 && cluster.isPrimary) {
    runPrimary(config.server.workers);
    return;
  }
  const app = await startApp(config, appModules());
  stopOnSignals(app.stop);
  if (cluster.isWorker) {
    // The primary asks over IPC rather than by signal: a terminal's Ctrl-C already signals every
    // worker, and a forwarded signal on top would count as a second one and skip the drain.
    process.on('message', (message: unknown) => {
      if (message === STOP_MESSAGE) void app.stop().then(() => process.exit(0));
    });
  }
}

function runPrimary(workers: number): void {
  let stopping = false;
  serveClusterMetrics();
  for (let i = 0; i < workers; i += 1) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    logger.error('a worker exited; starting another', { pid: worker.process.pid, code, signal });
    cluster.fork();
  });
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(130);
    }
    stopping = true;
    logger.info('stopping workers', { signal });
    for (const worker of Object.values(cluster.workers ?? {})) worker?.send(STOP_MESSAGE);
    const check = setInterval(() => {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        clearInterval(check);
        process.exit(0);
      }
    }, 50);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch(async (err: unknown) => {
  logger.error('tandem failed to start', {
    error: err instanceof Error ? err.message : String(err),
    stack: err instanceof Error ? err.stack : undefined,
  });
  await flushLogger();
  process.exit(1);
});
