import cluster, { type Worker } from 'node:cluster';
import fs from 'node:fs';
import path from 'node:path';
import { logger } from '../log';
import { serveClusterMetrics } from '../monitor/cluster-metrics';
import { reopenLogsOnHangup } from '../signal';
import { askWorkerToStop, READY_MESSAGE, relayReopenLogs, STOP_MESSAGE } from './cluster';

export interface ReloadPrimaryOptions {
  /** deploy_to: `current` in it names the release whose workers run. */
  deployTo: string;
  /** Where the outcome of each reload is written (`server.reload`) and this primary's pid (`server.primary`). */
  stateDir: string;
  /** Workers per generation (server.workers, at least 1). */
  workers: number;
  /** How long a new generation has to become ready before the reload is given up. */
  readyTimeoutMs?: number;
  /**
   * How long a stop may take from the signal (server.drain_delay_ms + server.shutdown_timeout_ms): a
   * worker still there then is killed, so the primary is gone by then. Unset: no deadline.
   */
  stopDeadlineMs?: number;
}

/**
 * The long-lived primary of a deployed server, for restarts without a gap
 * (docs/deploy.md, "No gap on a host"). It holds the HTTP and Thrift
 * listening sockets (node:cluster's round-robin: workers' listen() calls are
 * served by the primary, which keeps a socket while any worker listens on
 * it) and runs `workers` workers of the release `current` points to.
 *
 * On SIGUSR2 it forks a whole new generation from the release `current`
 * points to now, waits until every new worker says it serves, and only then
 * asks the old ones to drain and stop: the sockets never close, so no
 * connection is refused. If a new worker exits or is not ready in time, the
 * new generation is stopped and the old one keeps serving. The outcome is
 * written to `stateDir/server.reload` (`ready RELEASE ...` or `failed RELEASE: why`)
 * for deploy/service.sh, which waits for it.
 *
 * SIGTERM or SIGINT stop every worker (each drains) and then this process;
 * SIGHUP reopens the primary's log file and is passed on to every worker
 * (old and new generations alike), which reopen theirs: log rotation's
 * signal never ends the server.
 */
export function runReloadPrimary(options: ReloadPrimaryOptions): void {
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  const current = path.join(options.deployTo, 'current');
  const reloadFile = path.join(options.stateDir, 'server.reload');
  let generation = new Set<Worker>();
  let generationDir = fs.realpathSync(current);
  const ready = new WeakSet<Worker>();
  let stopping = false;
  let reloading: Promise<void> | undefined;
  let reloadAgain = false;
  let failedStarts = 0;

  serveClusterMetrics();
  cluster.on('message', (worker, message: unknown) => {
    if (message !== READY_MESSAGE) return;
    ready.add(worker);
    failedStarts = 0;
    // A worker that became ready while the stop was under way hears it again now that it surely listens.
    if (stopping && worker.isConnected()) worker.send(STOP_MESSAGE);
  });

  const fork = (dir: string): Worker => {
    // Each fork runs the code of `dir`, resolved when it is forked; later forks may use another release.
    cluster.setupPrimary({ exec: path.join(dir, 'dist', 'src', 'main.js'), cwd: dir });
    return cluster.fork();
  };
  const startGeneration = (dir: string): void => {
    for (let i = 0; i < options.workers; i += 1) generation.add(fork(dir));
  };

  cluster.on('exit', (worker, code, signal) => {
    // Only a serving generation's worker is replaced; old and failed ones were asked to go.
    if (stopping || !generation.has(worker)) return;
    generation.delete(worker);
    failedStarts = ready.has(worker) ? 0 : failedStarts + 1;
    const waitMs = failedStarts === 0 ? 0 : Math.min(30_000, 1000 * 2 ** (failedStarts - 1));
    logger.error('a worker exited; starting another', { pid: worker.process.pid, code, signal, wait_ms: waitMs });
    const dir = generationDir;
    setTimeout(() => {
      if (!stopping && dir === generationDir) generation.add(fork(dir));
    }, waitMs).unref();
  });

  const writeOutcome = (line: string): void => {
    const tmp = `${reloadFile}.tmp`;
    fs.writeFileSync(tmp, `${line}\n`);
    fs.renameSync(tmp, reloadFile);
  };

  /** Waits for a new worker to serve; undefined when it does, else why not. */
  const whenReady = (worker: Worker): Promise<string | undefined> =>
    new Promise((resolve) => {
      const done = (why: string | undefined): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        resolve(why);
      };
      const onMessage = (message: unknown): void => {
        if (message === READY_MESSAGE) done(undefined);
      };
      const onExit = (code: number | null, signal: string | null): void =>
        done(`a worker exited before it served (${signal ? `signal ${signal}` : `exit ${code}`}); see its log`);
      const timer = setTimeout(() => done(`a worker did not serve within ${readyTimeoutMs} ms`), readyTimeoutMs);
      worker.on('message', onMessage);
      worker.once('exit', onExit);
    });

  const reload = async (): Promise<void> => {
    const dir = fs.realpathSync(current);
    const release = path.basename(dir);
    const t0 = Date.now();
    logger.info('reloading: starting new workers beside the serving ones', { release, workers: options.workers });
    const fresh: Worker[] = [];
    for (let i = 0; i < options.workers; i += 1) fresh.push(fork(dir));
    const failures = (await Promise.all(fresh.map(whenReady))).filter((why): why is string => why !== undefined);
    if (stopping) return;
    if (failures.length > 0) {
      // The old generation never stopped serving; the new one goes (a ready worker drains first).
      for (const worker of fresh) {
        if (ready.has(worker)) worker.send(STOP_MESSAGE);
        else worker.process.kill('SIGKILL');
      }
      logger.error('reload failed: the serving workers stay', { release, reason: failures[0] });
      writeOutcome(`failed ${release}: ${failures[0]}; the workers of ${path.basename(generationDir)} still serve`);
      return;
    }
    const old = generation;
    generation = new Set(fresh);
    generationDir = dir;
    for (const worker of old) if (worker.isConnected()) worker.send(STOP_MESSAGE);
    const ms = Date.now() - t0;
    logger.info('reloaded: the new workers serve; the old ones drain and stop', { release, ms, old: old.size });
    writeOutcome(`ready ${release}: ${fresh.length} worker(s) serving after ${ms} ms; ${old.size} old one(s) draining`);
  };

  process.on('SIGUSR2', () => {
    if (stopping) return;
    if (reloading) {
      reloadAgain = true;
      return;
    }
    const run = async (): Promise<void> => {
      do {
        reloadAgain = false;
        await reload().catch((err: unknown) => {
          const why = err instanceof Error ? err.message : String(err);
          logger.error('reload failed', { reason: why });
          writeOutcome(`failed: ${why}`);
        });
      } while (reloadAgain && !stopping);
      reloading = undefined;
    };
    reloading = run();
  });

  reopenLogsOnHangup(relayReopenLogs);

  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      process.exit(130);
    }
    stopping = true;
    logger.info('stopping workers', { signal });
    for (const worker of Object.values(cluster.workers ?? {})) if (worker) askWorkerToStop(worker, ready.has(worker));
    const check = setInterval(() => {
      if (Object.keys(cluster.workers ?? {}).length > 0) return;
      clearInterval(check);
      fs.rmSync(path.join(options.stateDir, 'server.primary'), { force: true });
      process.exit(0);
    }, 50);
    if (options.stopDeadlineMs !== undefined) {
      // As the cluster primary of make server does (cluster.ts): nothing outlives the stop's deadline.
      setTimeout(
        () => {
          const late = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
          logger.warn('workers still running at the stop deadline; killing them', {
            pids: late.map((w) => w.process.pid),
            deadline_ms: options.stopDeadlineMs,
          });
          for (const worker of late) worker.process.kill('SIGKILL');
        },
        Math.max(0, options.stopDeadlineMs - 250),
      ).unref();
    }
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  fs.writeFileSync(path.join(options.stateDir, 'server.primary'), `${process.pid}\n`);
  startGeneration(generationDir);
  logger.info('serving through a reloadable primary', {
    release: path.basename(generationDir),
    workers: options.workers,
    pid: process.pid,
  });
}
