import { StartRefusal } from './core/app/listen-error';
import { serve } from './core/app/serve';
import { loadConfigOrExit } from './core/config';
import { flushLogger, logger } from './core/log';
import { appModules } from './modules';

/**
 * `make server`: serve HTTP and Thrift in this process, or in
 * `server.workers` processes sharing the two ports through node:cluster.
 */
serve(loadConfigOrExit(), appModules()).catch(async (err: unknown) => {
  if (err instanceof StartRefusal) {
    // A port in use or a schema behind the code is a setup mistake, not a fault: one line a person can act on.
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  logger.error('tandem failed to start', {
    error: err instanceof Error ? err.message : String(err),
    stack: err instanceof Error ? err.stack : undefined,
  });
  await flushLogger();
  process.exit(1);
});
