import { serve } from './core/app/serve';
import { loadConfigOrExit } from './core/config';
import { flushLogger, logger } from './core/log';
import { appModules } from './modules';

/**
 * `make server`: serve HTTP and Thrift in this process, or in
 * `server.workers` processes sharing the two ports through node:cluster.
 */
serve(loadConfigOrExit(), appModules()).catch(async (err: unknown) => {
  logger.error('tandem failed to start', {
    error: err instanceof Error ? err.message : String(err),
    stack: err instanceof Error ? err.stack : undefined,
  });
  await flushLogger();
  process.exit(1);
});
