/**
 * `make worker`: runs the Bull queue processors. SIGTERM or SIGINT stops
 * taking jobs and lets running ones finish (queue.drain_timeout_ms); a second
 * signal exits at once. A stop that comes while the worker starts is kept
 * and honoured as soon as the start completes. A worker killed outright
 * leaves its job locked until queue.lock_ms passes, then another worker takes
 * it over.
 */
import { closeScriptContext, openScriptContext, type ScriptContext } from './core/app/script-context';
import { flushLogger, logger } from './core/log';
import { stopOnSignals } from './core/signal';
import { buildDomains, closeDomains, type Domains } from './domains';
import { createScheduler, processScheduledJobs } from '../scheduler';

async function startWorker(ctx: ScriptContext): Promise<Domains> {
  const { config, sequelize, redis } = ctx;
  await redis.connect();
  const domains = await buildDomains(config, sequelize, redis);
  const { queues, cs, risk } = domains;
  const scheduler = createScheduler(redis, { config, cs, risk }, queues);
  processScheduledJobs(queues, scheduler, config.queue.concurrency);
  queues.process(risk.reportQueue, config.queue.concurrency, (job) => risk.review.report(job));
  queues.startGauges();
  return domains;
}

function main(): void {
  const ctx = openScriptContext('worker');
  const { config } = ctx;
  let running = false;
  logger.info('worker is starting', { pid: process.pid });
  const starting = startWorker(ctx);
  // Listening from the first line: a stop sent while the worker connects is honoured, never lost.
  stopOnSignals(async () => {
    if (!running) logger.info('a stop was asked while the worker starts; it stops as soon as the start completes');
    const domains = await starting;
    logger.info('worker stopping: finishing running jobs', { deadline_ms: config.queue.drain_timeout_ms });
    await closeDomains(domains, config.queue.drain_timeout_ms);
    logger.info('worker stopped');
    await closeScriptContext(ctx);
  });
  starting.then(
    () => {
      running = true;
      logger.info('worker is running', { concurrency: config.queue.concurrency, pid: process.pid });
    },
    async (err: unknown) => {
      logger.error('worker failed to start', { error: err instanceof Error ? err.message : String(err) });
      await flushLogger();
      process.exit(1);
    },
  );
}

main();
