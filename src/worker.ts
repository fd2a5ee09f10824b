/**
 * `make worker`: runs the Bull queue processors. SIGTERM or SIGINT stops
 * taking jobs and lets running ones finish (queue.drain_timeout_ms); a second
 * signal exits at once. A stop that comes while the worker starts is kept
 * and honoured as soon as the start completes. A worker killed outright
 * leaves its job locked until queue.lock_ms passes, then another worker takes
 * it over. With queue.metrics_port set, it serves GET /metrics there for
 * Prometheus (its jobs, queues, MySQL, Redis and zeus series), until it exits.
 */
import { closeScriptContext, openScriptContext, type ScriptContext } from './core/app/script-context';
import { warnIfRedisEvicts } from './core/db/redis';
import { flushLogger, logger } from './core/log';
import { startMetricsServer, type MetricsServer } from './core/monitor/metrics-server';
import { stopOnSignals } from './core/signal';
import { buildDomains, closeDomains, type Domains } from './domains';
import { createScheduler, processScheduledJobs } from '../scheduler';

interface Worker {
  domains: Domains;
  metrics: MetricsServer | undefined;
}

async function startWorker(ctx: ScriptContext): Promise<Worker> {
  const { config, sequelize, redis } = ctx;
  await redis.connect();
  await warnIfRedisEvicts(redis);
  const domains = await buildDomains(config, sequelize, redis);
  const { queues, cs, risk } = domains;
  const scheduler = createScheduler(redis, { config, cs, risk }, queues);
  processScheduledJobs(queues, scheduler, config.queue.concurrency);
  queues.process(risk.reportQueue, config.queue.concurrency, (job) => risk.review.report(job));
  queues.startGauges();
  const metrics =
    config.queue.metrics_port === 0
      ? undefined
      : await startMetricsServer({
          host: config.metrics.host,
          port: config.queue.metrics_port,
          allowedNetworks: config.metrics.allowed_networks,
        }).catch((err: unknown) => {
          const reason = err instanceof Error ? err.message : String(err);
          throw new Error(
            `queue.metrics_port ${config.queue.metrics_port} on ${config.metrics.host} cannot be listened on (${reason}).`,
          );
        });
  if (metrics)
    logger.info('worker metrics are served', { metrics: `${metrics.address.address}:${metrics.address.port}` });
  return { domains, metrics };
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
    const { domains, metrics } = await starting;
    logger.info('worker stopping: finishing running jobs', { deadline_ms: config.queue.drain_timeout_ms });
    await closeDomains(domains, config.queue.drain_timeout_ms);
    await metrics?.close();
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
