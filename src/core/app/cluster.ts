import cluster, { type Worker } from 'node:cluster';
import { logger } from '../log';
import { serveClusterMetrics } from '../monitor/cluster-metrics';

/** Sent by the primary to ask a worker to drain and stop (see main.ts). */
export const STOP_MESSAGE = 'tandem:stop';
/** Sent by a worker once it serves: it has started, so a later exit is not a failed start. */
export const READY_MESSAGE = 'tandem:ready';

export interface ClusterOptions {
  workers: number;
  /** The first wait before re-forking a worker that died before it was ready; doubles each time. */
  restartBackoffMs?: number;
  /** The longest such wait. */
  restartBackoffMaxMs?: number;
}

/**
 * The cluster primary of `server.workers` > 1: forks the workers, forks a
 * replacement for one that exits, and on SIGTERM or SIGINT asks each to
 * drain and stop, then exits once all have.
 *
 * A worker that dies before it serves (bad configuration, a port taken, a
 * dependency that throws at start) would die again at once: its replacement
 * waits, 1 s then 2 s, 4 s... up to 30 s, so a broken start shows in the log as
 * a handful of lines instead of a CPU-bound fork loop. One worker becoming
 * ready resets the wait.
 */
export function runClusterPrimary(options: ClusterOptions): void {
  const baseMs = options.restartBackoffMs ?? 1000;
  const maxMs = options.restartBackoffMaxMs ?? 30_000;
  let stopping = false;
  let failedStarts = 0;
  const ready = new WeakSet<Worker>();
  const pendingForks = new Set<NodeJS.Timeout>();

  serveClusterMetrics();
  cluster.on('message', (worker, message: unknown) => {
    if (message !== READY_MESSAGE) return;
    ready.add(worker);
    failedStarts = 0;
  });
  for (let i = 0; i < options.workers; i += 1) cluster.fork();

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    if (ready.has(worker)) {
      logger.error('a worker exited; starting another', { pid: worker.process.pid, code, signal });
      cluster.fork();
      return;
    }
    failedStarts += 1;
    const waitMs = Math.min(maxMs, baseMs * 2 ** (failedStarts - 1));
    logger.error('a worker exited before it served; starting another after a wait', {
      pid: worker.process.pid,
      code,
      signal,
      failed_starts: failedStarts,
      wait_ms: waitMs,
    });
    const timer = setTimeout(() => {
      pendingForks.delete(timer);
      if (!stopping) cluster.fork();
    }, waitMs);
    pendingForks.add(timer);
  });

  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(130);
    }
    stopping = true;
    for (const timer of pendingForks) clearTimeout(timer);
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
