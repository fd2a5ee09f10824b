import fs from 'node:fs';
import path from 'node:path';
import winston from 'winston';
import type TransportStream from 'winston-transport';
import { currentContext } from '../ctx';

export interface LogOptions {
  level: 'error' | 'warn' | 'info' | 'debug';
  /** Append to this file; empty writes to standard output. */
  file: string;
  service: string;
}

/** Keys whose values are never written, whatever object they are in. */
const SECRET_KEYS = /^(password|passwd|pwd|secret|token|authorization|cookie|password_hash|hash|api_key)$/i;

/** Where winston (triple-beam) keeps the finished line of an entry. */
const MESSAGE = Symbol.for('message');

/** Lines logged within this many milliseconds go to their destination in one write. */
const BATCH_MS = 10;
/** A batch this long is written at once. */
const BATCH_LINES = 256;

type Entry = winston.Logform.TransformableInfo & { [MESSAGE]?: unknown };

/** winston's transport base class (its typings only export the type). */
const Transport = (winston as unknown as { Transport: typeof TransportStream }).Transport;

/**
 * One format for every line, in one pass rather than a chain of six: the
 * request id and caller of the current context, secrets redacted, an Error
 * turned into its message and stack, the timestamp and service name, then
 * the JSON text. Native JSON.stringify is much cheaper per access line than
 * the safe-stable-stringify of `format.json()`, which stays as the fallback
 * for what JSON.stringify refuses (cycles, BigInt).
 */
function buildFormat(service: string): winston.Logform.Format {
  const errors = winston.format.errors({ stack: true });
  const safeJson = winston.format.json();
  return winston.format((entry) => {
    const ctx = currentContext();
    if (ctx) {
      entry.request_id ??= ctx.requestId;
      if (ctx.caller !== undefined) entry.caller ??= ctx.caller;
    }
    for (const key of Object.keys(entry)) {
      if (SECRET_KEYS.test(key)) entry[key] = '[redacted]';
    }
    const info = errors.transform(entry, errors.options) as Entry;
    info.timestamp = new Date().toISOString();
    info.service = service;
    try {
      info[MESSAGE] = JSON.stringify(info);
    } catch {
      return safeJson.transform(info, safeJson.options);
    }
    return info;
  })();
}

/**
 * Writes finished lines to a stream in batches: the lines of the next few
 * milliseconds (or of a full batch) leave in one write, so a busy server
 * makes one write call per batch instead of one per line. `flush()` writes
 * what is pending and resolves once it has left; `close()` (winston calls it
 * when the transport is replaced) writes what is pending and ends an owned
 * file.
 */
class LineTransport extends Transport {
  private pending: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastWrite: Promise<void> = Promise.resolve();

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly owned: boolean,
  ) {
    super();
    out.on('error', (err: Error) => this.emit('error', err));
  }

  override log(info: Entry, next: () => void): void {
    this.pending.push(String(info[MESSAGE]));
    if (this.pending.length >= BATCH_LINES) this.writePending();
    else this.timer ??= setTimeout(() => this.writePending(), BATCH_MS);
    next();
  }

  private writePending(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const text = `${this.pending.join('\n')}\n`;
    this.pending = [];
    this.lastWrite = new Promise((resolve) => this.out.write(text, () => resolve()));
  }

  /** Writes the pending lines; resolves when everything written so far has left. */
  flush(): Promise<void> {
    this.writePending();
    return this.lastWrite;
  }

  override close(): void {
    this.writePending();
    if (this.owned) this.out.end();
  }
}

function buildTransport(file: string): TransportStream {
  if (!file) return new LineTransport(process.stdout, false);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  return new LineTransport(fs.createWriteStream(file, { flags: 'a' }), true);
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
