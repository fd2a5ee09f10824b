import dc from 'node:diagnostics_channel';
import { Pipeline, Redis } from 'ioredis';
import { endSpan, type Span, SpanKind, startSpan } from './spans';

/**
 * Spans of MySQL queries and Redis commands, made only while tracing is on
 * and only under a span of a request or job (a pool's health check or a
 * queue's polling would otherwise each be a trace of their own).
 *
 * MySQL: mysql2 publishes each query and prepared statement on its
 * diagnostics channels (`mysql2:query`, `mysql2:execute`), synchronously in
 * the caller's context; without a subscriber it skips them, so tracing off
 * costs nothing. Sequelize's queries and core/db/statements' both go through
 * them.
 *
 * Redis: ioredis' own channel (`ioredis:command`) fires when a command is
 * written, which for auto-pipelined commands is a later tick in the context
 * of whichever caller opened the batch. So the span starts where the command
 * is handed over in the caller's context instead: Redis#sendCommand for a
 * command sent at once, Pipeline#sendCommand for one queued in a pipeline
 * (auto-pipelining included), and ends when the command's promise settles.
 * The two methods are wrapped while tracing is on and restored after.
 */

/** What mysql2 publishes about a query or statement. */
interface MysqlMessage {
  query?: string;
  database?: string;
  serverAddress?: string;
  serverPort?: number;
  error?: unknown;
}

/** String literals masked, as the slow-query line does: a span never carries data or secrets. */
export function maskSql(sql: string): string {
  return sql.replace(/'(?:[^'\\]|\\.)*'/g, "'?'").slice(0, 500);
}

const querySpans = new WeakMap<object, Span>();

function onQueryStart(message: unknown): void {
  const m = message as MysqlMessage;
  const sql = typeof m.query === 'string' ? m.query : '';
  const operation = /^\s*([A-Za-z]+)/.exec(sql)?.[1]?.toUpperCase() ?? 'QUERY';
  const started = startSpan(
    `mysql ${operation}`,
    SpanKind.CLIENT,
    {
      'db.system.name': 'mysql',
      'db.namespace': m.database ?? '',
      'db.operation.name': operation,
      'db.query.text': maskSql(sql),
      'server.address': m.serverAddress ?? '',
      ...(m.serverPort === undefined ? {} : { 'server.port': m.serverPort }),
    },
    undefined,
    true,
  );
  if (started) querySpans.set(message as object, started.span);
}

/** Ends the span of a finished query; `end` also comes after a synchronous throw, which carries its error. */
function onQueryDone(message: unknown): void {
  const span = querySpans.get(message as object);
  if (!span) return;
  querySpans.delete(message as object);
  endSpan(span, (message as MysqlMessage).error);
}

const mysqlHandlers = {
  start: onQueryStart,
  end: (message: unknown) => {
    if ((message as MysqlMessage).error !== undefined) onQueryDone(message);
  },
  asyncStart: () => undefined,
  asyncEnd: onQueryDone,
  error: () => undefined,
};

const MYSQL_CHANNELS = ['mysql2:query', 'mysql2:execute'];

/** A command as ioredis hands it over (its typings keep `promise` private). */
interface RedisCommand {
  name: string;
  promise: Promise<unknown>;
}

type SendCommand = (this: unknown, command: RedisCommand, ...rest: unknown[]) => unknown;

const tracedCommands = new WeakSet<object>();

function traceCommand(command: RedisCommand): void {
  if (tracedCommands.has(command)) return;
  tracedCommands.add(command);
  const name = command.name.toUpperCase();
  const started = startSpan(
    `redis ${name}`,
    SpanKind.CLIENT,
    { 'db.system.name': 'redis', 'db.operation.name': name },
    undefined,
    true,
  );
  if (!started) return;
  const { span } = started;
  command.promise.then(
    () => span.end(),
    (err: unknown) => endSpan(span, err),
  );
}

interface Patchable {
  prototype: { sendCommand: SendCommand };
}

const originals = new Map<Patchable, SendCommand>();

function wrap(target: Patchable): void {
  const original = target.prototype.sendCommand;
  originals.set(target, original);
  target.prototype.sendCommand = function tracedSendCommand(this: unknown, command, ...rest) {
    traceCommand(command);
    return original.call(this, command, ...rest);
  };
}

/** Subscribes to mysql2's channels and wraps ioredis' sendCommand; undone by untraceClients. */
export function traceClients(): void {
  for (const name of MYSQL_CHANNELS) dc.tracingChannel(name).subscribe(mysqlHandlers);
  if (originals.size > 0) return;
  wrap(Redis as unknown as Patchable);
  wrap(Pipeline as unknown as Patchable);
}

export function untraceClients(): void {
  for (const name of MYSQL_CHANNELS) dc.tracingChannel(name).unsubscribe(mysqlHandlers);
  for (const [target, original] of originals) target.prototype.sendCommand = original;
  originals.clear();
}
