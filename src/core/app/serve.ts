import cluster from 'node:cluster';
import type { Config } from '../config';
import { configureLogger, flushLogger, logger } from '../log';
import { reopenLogs, reopenLogsOnHangup, stopOnSignals } from '../signal';
import { startApp, type AppModules } from './app';
import { READY_MESSAGE, REOPEN_LOGS_MESSAGE, runClusterPrimary, STOP_MESSAGE, type ClusterOptions } from './cluster';
import { StartStopped } from './lifecycle';

/**
 * Serves `modules` in this process, or, with `server.workers` > 1, in that
 * many worker processes sharing the HTTP and Thrift ports through
 * node:cluster (this process is then their primary). Stops cleanly on
 * SIGTERM or SIGINT, at any moment: a stop that comes while the process
 * starts is kept, ends the start at its next step (undoing what had
 * started, opening no listener) and the process exits 0. SIGHUP reopens
 * log.file in every process (a primary passes it to its workers).
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
  const abortStart = new AbortController();
  const starting = startApp(config, modules, { signal: abortStart.signal });
  let stopping: Promise<void> | undefined;
  // One stop however it is asked (a signal, the primary's message, both): the first decides how.
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      // A stop asked before the process served was announced to no balancer: there is nobody to wait for.
      const announced = serving;
      if (!announced) {
        logger.info('a stop was asked while tandem starts; the start ends at its next step and undoes itself');
        abortStart.abort();
      }
      try {
        const app = await starting;
        await app.stop(announced ? {} : { drainDelay: false });
      } catch (err) {
        if (!(err instanceof StartStopped)) throw err;
        logger.info('stopped before serving');
        await flushLogger();
      }
    })();
    return stopping;
  };
  // Both listen before the first await: a stop sent while the app starts is never lost (the primary sends its
  // stop as soon as it forks a worker, and IPC messages that find no listener are dropped).
  stopOnSignals(stop);
  reopenLogsOnHangup();
  if (cluster.isWorker) {
    // The primary asks a serving worker over IPC rather than by signal: a terminal's Ctrl-C already signals
    // every worker, and a forwarded signal on top would count as a second one and skip the drain.
    process.on('message', (message: unknown) => {
      if (message === REOPEN_LOGS_MESSAGE) return reopenLogs('SIGHUP to the primary');
      if (message !== STOP_MESSAGE) return;
      stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
  try {
    await starting;
  } catch (err) {
    // The stop under way ends the process; anything else is a failed start for the caller.
    if (err instanceof StartStopped) return;
    throw err;
  }
  serving = true;
  if (cluster.isWorker) process.send?.(READY_MESSAGE);
}
