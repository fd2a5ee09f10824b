import winston from 'winston';
import { currentContext } from '../ctx';

export interface LogOptions {
  level: 'error' | 'warn' | 'info' | 'debug';
  /** Append to this file; empty writes to standard output. */
  file: string;
  service: string;
}

/** Keys whose values are never written, whatever object they are in. */
const SECRET_KEYS = /^(password|passwd|pwd|secret|token|authorization|cookie|password_hash|hash|api_key)$/i;

/** Adds the request id and caller of the current context to every line. */
const withContext = winston.format((info) => {
  const ctx = currentContext();
  if (ctx) {
    info.request_id ??= ctx.requestId;
    if (ctx.caller !== undefined) info.caller ??= ctx.caller;
  }
  return info;
});

const redact = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (SECRET_KEYS.test(key)) info[key] = '[redacted]';
  }
  return info;
});

function buildFormat(service: string): winston.Logform.Format {
  return winston.format.combine(
    withContext(),
    redact(),
    winston.format.errors({ stack: true }),
    winston.format.timestamp(),
    winston.format((info) => {
      info.service = service;
      return info;
    })(),
    winston.format.json(),
  );
}

function buildTransport(file: string): winston.transport {
  if (file) return new winston.transports.File({ filename: file });
  // A stream transport on stdout is cheaper than the Console transport.
  return new winston.transports.Stream({ stream: process.stdout });
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

/** Waits until every line written so far has reached its destination. */
export async function flushLogger(): Promise<void> {
  await Promise.all(
    logger.transports.map(
      (t) =>
        new Promise<void>((resolve) => {
          if (t.writableLength === 0) return resolve();
          t.once('finish', () => resolve());
          t.once('drain', () => resolve());
          setTimeout(resolve, 500).unref();
        }),
    ),
  );
}
