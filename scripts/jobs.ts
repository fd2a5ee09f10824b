/**
 * Inspects and replays queued jobs:
 *
 *   npm run jobs -- failed QUEUE        failed jobs with their error, newest first
 *   npm run jobs -- retry QUEUE ID      put one failed job back in its queue
 *   npm run jobs -- counts QUEUE        jobs per state
 *
 * QUEUE is normally one of the app's queues (queueDefs in src/domains.ts).
 * Any other name is still read, with a warning on stderr: a queue that was
 * renamed or removed from the code may hold failed jobs a person wants to
 * see or replay, and a retried job keeps the retry settings it was enqueued
 * with, so nothing here depends on the queue's definition.
 */
import { defineQueue, Queues, type QueueDef } from '../src/core/async';
import { queueDefs } from '../src/domains';
import type { ScriptContext } from './script-context';

const COMMANDS = ['failed', 'retry', 'counts'];

/** A stand-in definition for reading a queue the app does not declare; it is never used to add jobs. */
function undeclared(name: string): QueueDef<unknown> {
  return defineQueue<unknown>({ name, attempts: 1, backoffMs: 0, timeoutMs: 0 });
}

export default async function jobs(ctx: ScriptContext, args: string[]): Promise<void> {
  const [command, queueName, id] = args;
  const defs = queueDefs(ctx.config);
  const names = defs.map((q) => q.name);
  if (!command || !queueName || !COMMANDS.includes(command)) {
    throw new Error(`Use: npm run jobs -- failed|retry|counts QUEUE [ID]; the app's queues: ${names.join(', ')}.`);
  }
  if (!names.includes(queueName)) {
    process.stderr.write(
      `Warning: ${queueName} is not one of the app's queues (${names.join(', ')}); reading it anyway. If it is a typo, nothing will be found.\n`,
    );
    defs.push(undeclared(queueName));
  }
  const queues = new Queues(ctx.config, defs);
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
    } else {
      process.stdout.write(`${JSON.stringify(await queues.queue(queueName).getJobCounts())}\n`);
    }
  } finally {
    await queues.close(1000);
  }
}
