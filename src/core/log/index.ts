import winston from 'winston';
import { buildFormat, type Entry, LEVEL } from './line-format';
import { buildTransport, LineTransport } from './line-transport';

export { REDACT_CUT, REDACT_MAX_VALUES, redactSecrets } from './redact';

export interface LogOptions {
  level: 'error' | 'warn' | 'info' | 'debug';
  /** Append to this file; empty writes to standard output. */
  file: string;
  service: string;
}

/**
 * The process logger: one JSON object a line, with `request_id` on every line
 * written inside a request. Created once at import with safe defaults and
 * reconfigured by `configureLogger` at start.
 */
export const logger = winston.createLogger({
  level: 'info',
  format: buildFormat('tandem'),
  transports: [buildTransport('')],
});

export function configureLogger(options: LogOptions): void {
  logger.configure({
    level: options.level,
    format: buildFormat(options.service),
    transports: [buildTransport(options.file)],
  });
}

const ignore = (): void => undefined;

/**
 * Writes one info line, as `logger.info(message, meta)` would, through the
 * logger's format and transports and by the same level rules, but without
 * winston's two object-mode streams between them (each of which defers its
 * write callback with process.nextTick, an async resource per line once
 * AsyncLocalStorage is on). Made for the access line: one per HTTP request
 * and per Thrift call. `meta` becomes the entry: pass a fresh object.
 */
export function logAccess(message: string, meta: Record<string, unknown>): void {
  const levels = logger.levels;
  const rank = levels.info as number;
  if ((levels[logger.level] ?? -1) < rank) return;
  const entry = meta as Entry;
  entry.level = 'info';
  entry.message = message;
  entry[LEVEL] = 'info';
  const info = logger.format.transform(entry, logger.format.options);
  if (typeof info !== 'object') return;
  for (const transport of logger.transports) {
    if (transport.silent || !transport.log) continue;
    if ((levels[transport.level ?? logger.level] ?? -1) < rank) continue;
    const out = transport.format ? transport.format.transform({ ...info }, transport.format.options) : info;
    if (out) transport.log(out, ignore);
  }
}

/**
 * Opens the log file again by its name (log.file), after log rotation
 * renamed it away: what was logged before goes to the renamed file, what is
 * logged after to a new file of the configured name; no line is lost or
 * written twice. Nothing happens when the logger writes to standard output.
 * Throws when the file cannot be opened (the lines keep going to the old one).
 */
export function reopenLogFile(): void {
  for (const transport of logger.transports) if (transport instanceof LineTransport) transport.reopen();
}

/** Waits (at most half a second) until every line written so far has reached its destination. */
export async function flushLogger(): Promise<void> {
  await Promise.all(
    logger.transports.map(
      (t) =>
        new Promise<void>((resolve) => {
          setTimeout(resolve, 500).unref();
          if (t instanceof LineTransport) {
            void t.flush().then(resolve);
            return;
          }
          if (t.writableLength === 0) return resolve();
          t.once('finish', () => resolve());
          t.once('drain', () => resolve());
        }),
    ),
  );
}
