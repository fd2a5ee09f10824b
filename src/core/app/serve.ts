import cluster from 'node:cluster';
import type { Config } from '../config';
import { stopOnSignals } from '../signal';
import { startApp, type AppModules } from './app';
import { READY_MESSAGE, runClusterPrimary, STOP_MESSAGE, type ClusterOptions } from './cluster';

/**
 * Serves `modules` in this process, or, with `server.workers` > 1, in that
 * many worker processes sharing the HTTP and Thrift ports through
 * node:cluster (this process is then their primary). Stops cleanly on
 * SIGTERM or SIGINT.
 */
export async function serve(
  config: Config,
  modules: AppModules,
  clusterOptions: Omit<ClusterOptions, 'workers'> = {},
): Promise<void> {
  if (config.server.workers > 1 && cluster.isPrimary) {
    runClusterPrimary({ ...clusterOptions, workers: config.server.workers });
    return;
  }
  const app = await startApp(config, modules);
  stopOnSignals(app.stop);
  if (cluster.isWorker) {
    // The primary asks over IPC rather than by signal: a terminal's Ctrl-C already signals every
    // worker, and a forwarded signal on top would count as a second one and skip the drain.
    process.on('message', (message: unknown) => {
      if (message === STOP_MESSAGE) void app.stop().then(() => process.exit(0));
    });
    process.send?.(READY_MESSAGE);
  }
}
