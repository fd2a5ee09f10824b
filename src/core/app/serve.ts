import cluster from 'node:cluster';
import type { Config } from '../config';
import { configureLogger, logger } from '../log';
import { reopenLogs, reopenLogsOnHangup, stopOnSignals } from '../signal';
import { startApp, type AppModules } from './app';
import { READY_MESSAGE, REOPEN_LOGS_MESSAGE, runClusterPrimary, STOP_MESSAGE, type ClusterOptions } from './cluster';

/**
 * Serves `modules` in this process, or, with `server.workers` > 1, in that
 * many worker processes sharing the HTTP and Thrift ports through
 * node:cluster (this process is then their primary). Stops cleanly on
 * SIGTERM or SIGINT, at any moment: a stop that comes while the process
 * starts is kept and honoured as soon as the start completes. SIGHUP
 * reopens log.file in every process (a primary passes it to its workers).
 */
export async function serve(
  config: Config,
  modules: AppModules,
  clusterOptions: Omit<ClusterOptions, 'workers' | 'stopDeadlineMs'> = {},
): Promise<void> {
  if (config.server.workers > 1 && cluster.isPrimary) {
    // The primary's own lines (workers that exit, the stop) go where the workers' go.
    configureLogger({ level: config.log.level, file: config.log.file, service: `${config.service_name}-primary` });
    runClusterPrimary({
      ...clusterOptions,
      workers: config.server.workers,
      stopDeadlineMs: config.server.drain_delay_ms + config.server.shutdown_timeout_ms,
    });
    return;
  }
  let serving = false;
  const starting = startApp(config, modules);
  const stop = async (): Promise<void> => {
    if (!serving) logger.info('a stop was asked while tandem starts; it stops as soon as the start completes');
    const app = await starting;
    // A stop asked before the process served was announced to no balancer: there is nobody to wait for.
    await app.stop(serving ? {} : { drainDelay: false });
  };
  // Both listen before the first await: a stop sent while the app starts is never lost (the primary sends its
  // stop as soon as it forks a worker, and IPC messages that find no listener are dropped).
  stopOnSignals(stop);
  reopenLogsOnHangup();
  if (cluster.isWorker) {
    // The primary asks over IPC rather than by signal: a terminal's Ctrl-C already signals every
    // worker, and a forwarded signal on top would count as a second one and skip the drain.
    process.on('message', (message: unknown) => {
      if (message === REOPEN_LOGS_MESSAGE) return reopenLogs('SIGHUP to the primary');
      if (message !== STOP_MESSAGE) return;
      stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
  await starting;
  serving = true;
  if (cluster.isWorker) process.send?.(READY_MESSAGE);
}
