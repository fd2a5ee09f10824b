/**
 * `make worker`: runs the Bull queue processors. SIGTERM or SIGINT stops
 * taking jobs and lets running ones finish (queue.drain_timeout_ms); a second
 * signal exits at once. A worker killed outright leaves its job locked until
 * queue.lock_ms passes, then another worker takes it over.
 */
import { closeScriptContext, openScriptContext } from './core/app/script-context';
import { flushLogger, logger } from './core/log';
import { stopOnSignals } from './core/signal';
import { buildDomains, closeDomains } from './domains';
import { createScheduler, processScheduledJobs } from '../scheduler';

async function main(): Promise<void> {
  const ctx = openScriptContext('worker');
  const { config, sequelize, redis } = ctx;
  await redis.connect();
  const domains = await buildDomains(config, sequelize, redis);
  const { queues, cs, risk } = domains;
  const scheduler = createScheduler(redis, { config, cs, risk }, queues);
  processScheduledJobs(queues, scheduler, config.queue.concurrency);
  queues.process(risk.reportQueue, config.queue.concurrency, (job) => risk.review.report(job));
  queues.startGauges();
  logger.info('worker is running', { concurrency: config.queue.concurrency, pid: process.pid });

  stopOnSignals(async () => {
    logger.info('worker stopping: finishing running jobs', { deadline_ms: config.queue.drain_timeout_ms });
    await closeDomains(domains, config.queue.drain_timeout_ms);
    logger.info('worker stopped');
    await closeScriptContext(ctx);
  });
}

main().catch(async (err: unknown) => {
  logger.error('worker failed to start', { error: err instanceof Error ? err.message : String(err) });
  await flushLogger();
  process.exit(1);
});
