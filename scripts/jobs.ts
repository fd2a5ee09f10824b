/**
 * Inspects and replays queued jobs:
 *
 *   npm run jobs -- failed QUEUE        failed jobs with their error, newest first
 *   npm run jobs -- retry QUEUE ID      put one failed job back in its queue
 *   npm run jobs -- counts QUEUE        jobs per state
 *   npm run jobs -- --help              the usage (exit 0)
 *
 * QUEUE is normally one of the app's queues (queueDefs in src/domains.ts).
 * Any other name is still read, with a warning on stderr: a queue that was
 * renamed or removed from the code may hold failed jobs a person wants to
 * see or replay, and a retried job keeps the retry settings it was enqueued
 * with, so nothing here depends on the queue's definition.
 */
import { parseArgs } from 'node:util';
import { defineQueue, Queues, type QueueDef } from '../src/core/async';
import { queueDefs } from '../src/domains';
import { type ScriptContext, UsageError } from './script-context';

/** Each command with the positional arguments it takes after its name. */
const COMMANDS: Record<string, string[]> = { failed: ['QUEUE'], retry: ['QUEUE', 'ID'], counts: ['QUEUE'] };

function usage(queues: string[]): string {
  return [
    'Usage: npm run jobs -- COMMAND QUEUE [ID]',
    '  failed QUEUE      failed jobs with their error, newest first',
    '  retry QUEUE ID    put one failed job back in its queue',
    '  counts QUEUE      jobs per state',
    '  --help            print this and exit',
    `The app's queues: ${queues.join(', ')}.`,
  ].join('\n');
}

/** The command and its arguments, 'help' for --help, or a UsageError saying what is missing. */
function readArgs(
  args: string[],
  queues: string[],
): { command: string; queueName: string; id: string | undefined } | 'help' {
  let positionals: string[];
  try {
    const parsed = parseArgs({
      args,
      options: { help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    });
    if (parsed.values.help) return 'help';
    positionals = parsed.positionals;
  } catch (err) {
    throw new UsageError(`${err instanceof Error ? err.message : String(err)}\n${usage(queues)}`);
  }
  const [command, queueName, id] = positionals;
  const wanted = command === undefined ? undefined : COMMANDS[command];
  if (!command || !wanted) {
    const problem = command ? `There is no command ${command}.` : 'Name a command and a queue.';
    throw new UsageError(`${problem}\n${usage(queues)}`);
  }
  if (positionals.length !== wanted.length + 1 || !queueName) {
    throw new UsageError(`${command} takes ${wanted.join(' ')}.\n${usage(queues)}`);
  }
  return { command, queueName, id };
}

/** A stand-in definition for reading a queue the app does not declare; it is never used to add jobs. */
function undeclared(name: string): QueueDef<unknown> {
  return defineQueue<unknown>({ name, attempts: 1, backoffMs: 0, timeoutMs: 0 });
}

export default async function jobs(ctx: ScriptContext, args: string[]): Promise<void> {
  const defs = queueDefs(ctx.config);
  const names = defs.map((q) => q.name);
  const read = readArgs(args, names);
  if (read === 'help') {
    process.stdout.write(`${usage(names)}\n`);
    return;
  }
  const { command, queueName, id } = read;
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
      // readArgs made sure retry has its ID.
      await queues.retry(queueName, id as string);
      process.stdout.write(`Job ${id} is back in ${queueName}.\n`);
    } else {
      process.stdout.write(`${JSON.stringify(await queues.queue(queueName).getJobCounts())}\n`);
    }
  } finally {
    await queues.close(1000);
  }
}
