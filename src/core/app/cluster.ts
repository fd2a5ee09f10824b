import cluster, { type Worker } from 'node:cluster';
import { logger } from '../log';
import { serveClusterMetrics } from '../monitor/cluster-metrics';
import { reopenLogsOnHangup } from '../signal';

/** Sent by the primary to ask a worker to drain and stop (see main.ts). */
export const STOP_MESSAGE = 'tandem:stop';
/** Sent by a worker once it serves: it has started, so a later exit is not a failed start. */
export const READY_MESSAGE = 'tandem:ready';
/** Sent by the primary on SIGHUP: reopen the log file (log rotation renamed it). */
export const REOPEN_LOGS_MESSAGE = 'tandem:reopen-logs';

/** Passes a SIGHUP on to every connected worker, as a message (a signal it could miss or take twice). */
export function relayReopenLogs(): void {
  for (const worker of Object.values(cluster.workers ?? {})) {
    if (worker?.isConnected()) worker.send(REOPEN_LOGS_MESSAGE);
  }
}

/**
 * Asks a worker to stop. A serving worker hears it over IPC (and drains). One
 * not yet serving also gets SIGTERM: a worker still loading its code has no
 * listener for the message yet, and however long its load takes on a busy
 * host the signal reaches it, ending it at once if its handlers are not there
 * yet (it served nothing) or ending its start at the next step if they are.
 */
export function askWorkerToStop(worker: Worker, serving: boolean): void {
  if (worker.isConnected()) worker.send(STOP_MESSAGE);
  if (!serving && !worker.isDead()) worker.process.kill('SIGTERM');
}

export interface ClusterOptions {
  workers: number;
  /** The first wait before re-forking a worker that died before it was ready; doubles each time. */
  restartBackoffMs?: number;
  /** The longest such wait. */
  restartBackoffMaxMs?: number;
  /**
   * How long a stop may take, from the signal (server.drain_delay_ms +
   * server.shutdown_timeout_ms): a worker still there at that point is killed.
   */
  stopDeadlineMs: number;
}

/** Kept of the stop deadline for killing a worker that overran it and for the primary's own exit. */
const KILL_RESERVE_MS = 250;

/**
 * The cluster primary of `server.workers` > 1: forks the workers, forks a
 * replacement for one that exits, and on SIGTERM or SIGINT asks each to
 * drain and stop, then exits 0 once all have.
 *
 * The stop holds at any moment of the primary's life. Its handlers are in
 * place before the first fork; a worker forked before the stop is asked
 * however far its start has gone (askWorkerToStop; the message is sent again
 * when it reports ready); no worker is forked after it; and a worker still
 * running at `stopDeadlineMs` is killed, so the primary is gone by then
 * whatever its workers do.
 *
 * SIGHUP reopens the primary's log file and is passed on to each worker,
 * which reopens its own: log rotation's signal never stops the server.
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
  const workers = (): Worker[] => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);

  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      for (const worker of workers()) worker.process.kill('SIGKILL');
      process.exit(130);
    }
    stopping = true;
    for (const timer of pendingForks) clearTimeout(timer);
    pendingForks.clear();
    logger.info('stopping workers', { signal, workers: workers().length, deadline_ms: options.stopDeadlineMs });
    for (const worker of workers()) askWorkerToStop(worker, ready.has(worker));
    const check = setInterval(() => {
      if (workers().length > 0) return;
      clearInterval(check);
      process.exit(0);
    }, 50);
    const deadline = setTimeout(
      () => {
        const late = workers();
        logger.warn('workers still running at the stop deadline; killing them', {
          pids: late.map((w) => w.process.pid),
          deadline_ms: options.stopDeadlineMs,
        });
        for (const worker of late) worker.process.kill('SIGKILL');
      },
      Math.max(0, options.stopDeadlineMs - KILL_RESERVE_MS),
    );
    deadline.unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  reopenLogsOnHangup(relayReopenLogs);

  serveClusterMetrics();
  cluster.on('message', (worker, message: unknown) => {
    if (message !== READY_MESSAGE) return;
    ready.add(worker);
    failedStarts = 0;
    // A worker that started while the stop was under way hears it again now that it surely listens.
    if (stopping && worker.isConnected()) worker.send(STOP_MESSAGE);
  });

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

  logger.info('starting workers', { workers: options.workers, pid: process.pid });
  for (let i = 0; i < options.workers && !stopping; i += 1) cluster.fork();
}
