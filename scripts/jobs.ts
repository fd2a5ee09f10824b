/**
 * Inspects and replays queued jobs:
 *
 *   npm run jobs -- failed QUEUE        failed jobs with their error, newest first
 *   npm run jobs -- retry QUEUE ID      put one failed job back in its queue
 *   npm run jobs -- counts QUEUE        jobs per state
 */
import { appQueues, QUEUE_DEFS } from '../src/modules';
import type { ScriptContext } from './script-context';

export default async function jobs(ctx: ScriptContext, args: string[]): Promise<void> {
  const [command, queueName, id] = args;
  const names = QUEUE_DEFS.map((q) => q.name);
  if (!command || !queueName || !names.includes(queueName)) {
    throw new Error(`Use: npm run jobs -- failed|retry|counts QUEUE [ID]; queues: ${names.join(', ')}.`);
  }
  const queues = appQueues(ctx.config);
  try {
    if (command === 'failed') {
      const failed = await queues.failed(queueName);
      if (failed.length === 0) process.stdout.write(`No failed jobs in ${queueName}.\n`);
      for (const job of failed) {
        process.stdout.write(
          `${job.id}\tattempts=${job.attempts}\tfailed_at=${job.failed_at ?? '-'}\trequest_id=${job.request_id ?? '-'}\terror=${job.error}\tpayload=${JSON.stringify(job.payload)}\n`,
        );
      }
    } else if (command === 'retry') {
      if (!id) throw new Error('Give the job id: npm run jobs -- retry QUEUE ID (see npm run jobs -- failed QUEUE).');
      await queues.retry(queueName, id);
      process.stdout.write(`Job ${id} is back in ${queueName}.\n`);
    } else if (command === 'counts') {
      process.stdout.write(`${JSON.stringify(await queues.queue(queueName).getJobCounts())}\n`);
    } else {
      throw new Error(`Unknown command ${command}; use failed, retry or counts.`);
    }
  } finally {
    await queues.close(1000);
  }
}
