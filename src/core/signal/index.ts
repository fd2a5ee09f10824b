import { flushLogger, logger, reopenLogFile } from '../log';

/**
 * Stops the process cleanly on the first SIGTERM or SIGINT (exit 0 once
 * `stop` resolves, 1 if it fails) and at once on a second one.
 */
export function stopOnSignals(stop: () => Promise<void>): void {
  let received = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received) {
      logger.warn('second stop signal: exiting now without waiting', { signal });
      process.exit(130);
    }
    received = true;
    logger.info('stop signal received', { signal });
    stop().then(
      () => process.exit(0),
      async (err: unknown) => {
        logger.error('stop failed', { error: err instanceof Error ? err.message : String(err) });
        await flushLogger();
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/**
 * Opens log.file again by its name, after log rotation renamed it, and says
 * so in the new file. A file that cannot be opened is said in the old one,
 * which keeps the lines; the process goes on either way.
 */
export function reopenLogs(reason: string): void {
  try {
    reopenLogFile();
    logger.info('log file reopened', { reason, pid: process.pid });
  } catch (err) {
    logger.error('the log file could not be reopened; lines keep going to the file as it was', {
      reason,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}

let hangupHandled = false;

/**
 * SIGHUP reopens the log file (what logrotate's postrotate sends, through
 * `deploy/service.sh reopen-logs`) instead of ending the process at once,
 * which is Node's default. `relay` passes it on: a cluster primary asks its
 * workers over IPC. Installed once per process.
 */
export function reopenLogsOnHangup(relay?: () => void): void {
  if (hangupHandled) return;
  hangupHandled = true;
  process.on('SIGHUP', () => {
    reopenLogs('SIGHUP');
    relay?.();
  });
}
