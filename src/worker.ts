/**
 * `make worker`: runs the Bull queue processors. SIGTERM or SIGINT stops
 * taking jobs and lets running ones finish (queue.drain_timeout_ms); a second
 * signal exits at once. A worker killed outright leaves its job locked until
 * queue.lock_ms passes, then another worker takes it over.
 */
import { loadConfigOrExit } from './core/config';
import { createSequelize } from './core/db/mysql';
import { createRedis } from './core/db/redis';
import { configureLogger, flushLogger, logger } from './core/log';
import { statsd } from './core/monitor';
import { stopOnSignals } from './core/signal';
import { buildDomains, closeDomains } from './domains';
import { createScheduler, processScheduledJobs } from '../scheduler';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  configureLogger({ level: config.log.level, file: config.log.file, service: `${config.service_name}-worker` });
  statsd.reconfigure(config.statsd);
  const sequelize = createSequelize(config);
  const redis = createRedis(config, 'worker');
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
    await sequelize.close().catch(() => undefined);
    redis.disconnect();
    await statsd.close();
    logger.info('worker stopped');
    await flushLogger();
  });
}

main().catch(async (err: unknown) => {
  logger.error('worker failed to start', { error: err instanceof Error ? err.message : String(err) });
  await flushLogger();
  process.exit(1);
});
