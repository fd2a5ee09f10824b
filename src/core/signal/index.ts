import { flushLogger, logger } from '../log';

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
