import fs from 'node:fs';
import path from 'node:path';
import winston from 'winston';
import type TransportStream from 'winston-transport';
import { currentContext } from '../ctx';
// The leaf of core/trace, not its face: the face's setup imports this logger.
import { activeTraceFields, tracing } from '../trace/active';

export interface LogOptions {
  level: 'error' | 'warn' | 'info' | 'debug';
  /** Append to this file; empty writes to standard output. */
  file: string;
  service: string;
}

/** Keys whose values are never written, whatever object they are in. */
const SECRET_KEYS = /^(password|passwd|pwd|secret|token|authorization|cookie|password_hash|hash|api_key)$/i;

/** Where winston (triple-beam) keeps the finished line and the level of an entry. */
const MESSAGE = Symbol.for('message');
const LEVEL = Symbol.for('level');

/** Whether a key is secret, remembered per key name (log keys are few and repeat on every line). */
const secretKeys = new Map<string, boolean>();

function isSecret(key: string): boolean {
  let secret = secretKeys.get(key);
  if (secret === undefined) {
    secret = SECRET_KEYS.test(key);
    if (secretKeys.size < 10_000) secretKeys.set(key, secret);
  }
  return secret;
}

/** Values (keys and items, at every depth) looked at for secrets in one line's fields; beyond, a value is cut. */
export const REDACT_MAX_VALUES = 10_000;
/** What a value stands in for once a line's budget is spent: never a secret unlooked-at. */
export const REDACT_CUT = `[not logged: the line holds more than ${REDACT_MAX_VALUES} values]`;

interface RedactWalk {
  seen: Set<object>;
  /** Values still to be looked at in this line. */
  budget: number;
}

/**
 * A logged object or array with every secret key redacted, at any depth,
 * the caller's object left as it was. Copied only where something changes
 * (most lines have no secret below their top level, and pay no copy); the
 * walk is bounded per line by REDACT_MAX_VALUES, past which values are cut
 * rather than written unchecked. Only plain objects and arrays are walked:
 * an Error is formatted by its own rule, and a Date or a Buffer has no keys
 * of ours. A cycle is cut where it closes.
 */
export function redactSecrets(
  value: unknown,
  walk: RedactWalk = { seen: new Set(), budget: REDACT_MAX_VALUES },
): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (walk.seen.has(value)) return '[circular]';
  if (Array.isArray(value)) {
    walk.seen.add(value);
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i += 1) {
      const item: unknown = value[i];
      const redacted = walk.budget-- > 0 ? redactSecrets(item, walk) : REDACT_CUT;
      if (redacted !== item) {
        copy ??= value.slice();
        copy[i] = redacted;
      }
      // Past the budget the rest of the array is one cut, not one per item.
      if (redacted === REDACT_CUT) {
        copy = (copy ?? value).slice(0, i + 1);
        break;
      }
    }
    walk.seen.delete(value);
    return copy ?? value;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  walk.seen.add(value);
  const source = value as Record<string, unknown>;
  const keys = Object.keys(source);
  let copy: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i] as string;
    if (walk.budget-- <= 0) {
      // Past the budget the rest of the object is one cut, not one per key.
      const kept = copy ?? source;
      copy = {};
      for (const k of keys.slice(0, i)) copy[k] = kept[k];
      copy['[cut]'] = REDACT_CUT;
      break;
    }
    const item = source[key];
    const redacted = isSecret(key) ? '[redacted]' : redactSecrets(item, walk);
    if (redacted !== item) {
      copy ??= { ...source };
      copy[key] = redacted;
    }
  }
  walk.seen.delete(value);
  return copy ?? value;
}

/** Lines logged within this many milliseconds go to their destination in one write. */
const BATCH_MS = 10;
/** A batch that fills this many bytes is written at once. */
const BATCH_BYTES = 64 * 1024;

type Entry = winston.Logform.TransformableInfo & { [MESSAGE]?: unknown };

/** winston's transport base class (its typings only export the type). */
const Transport = (winston as unknown as { Transport: typeof TransportStream }).Transport;

let isoMs = -1;
let isoText = '';
let isoSecond = Number.NaN;
let isoSecondText = '';

/**
 * The current time in ISO 8601 (as Date#toISOString), built once per
 * millisecond however many lines share it, and from a per-second prefix:
 * toISOString itself is a large share of the cost of a line.
 */
function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    const ms = now % 1000;
    const second = now - ms;
    if (second !== isoSecond) {
      isoSecond = second;
      isoSecondText = new Date(second).toISOString().slice(0, 20);
    }
    isoMs = now;
    isoText = `${isoSecondText}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
  }
  return isoText;
}

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
    if (tracing.on && entry.trace_id === undefined) {
      const ids = activeTraceFields();
      if (ids) {
        entry.trace_id = ids.trace_id;
        entry.span_id = ids.span_id;
      }
    }
    let walk: RedactWalk | undefined;
    for (const key of Object.keys(entry)) {
      if (isSecret(key)) entry[key] = '[redacted]';
      else if (typeof entry[key] === 'object' && entry[key] !== null) {
        walk ??= { seen: new Set(), budget: REDACT_MAX_VALUES };
        entry[key] = redactSecrets(entry[key], walk);
      }
    }
    const info = errors.transform(entry, errors.options) as Entry;
    info.timestamp = isoNow();
    info.service = service;
    try {
      info[MESSAGE] = JSON.stringify(info);
    } catch {
      return safeJson.transform(info, safeJson.options);
    }
    return info;
  })();
}

/** Where finished lines go: a file written synchronously, or a stream (standard output). */
interface Sink {
  /** Takes the bytes (borrowed for this call only); resolves once they have left (at once for a file). */
  write(bytes: Buffer): Promise<void> | undefined;
  /** Opens the destination anew (a file renamed away by log rotation); nothing for a stream. */
  reopen(): void;
  close(): void;
}

/**
 * An append-only file written with synchronous calls, as pino does: one
 * write per batch costs less than handing every batch to the thread pool,
 * and the pending lines can still be written from an 'exit' handler.
 */
function fileSink(file: string): Sink {
  const open = (): number => {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    return fs.openSync(file, 'a');
  };
  let fd: number | undefined = open();
  return {
    write(bytes) {
      if (fd === undefined) return undefined;
      let offset = 0;
      while (offset < bytes.length) offset += fs.writeSync(fd, bytes, offset);
      return undefined;
    },
    reopen() {
      if (fd === undefined) return;
      // The new file is open before the old one closes: if it cannot be opened, lines keep going to the old one.
      const fresh = open();
      fs.closeSync(fd);
      fd = fresh;
    },
    close() {
      if (fd !== undefined) fs.closeSync(fd);
      fd = undefined;
    },
  };
}

function streamSink(out: NodeJS.WritableStream): Sink {
  return {
    // The stream may hold on to what it is given: it gets its own copy.
    write: (bytes) => new Promise((resolve) => out.write(Buffer.from(bytes), () => resolve())),
    reopen: () => undefined,
    close: () => undefined,
  };
}

/**
 * Writes finished lines in batches: each line is encoded at once into a
 * reused buffer (so the line's string dies young instead of waiting in a
 * list), and the lines of the next few milliseconds leave in one write, so
 * a busy server makes one write call per batch instead of one per line.
 * What is pending is written when the buffer fills, by `flush()`, by
 * `close()` (winston calls it when the transport is replaced) and when the
 * process exits.
 */
class LineTransport extends Transport {
  private batch = Buffer.allocUnsafe(BATCH_BYTES);
  private used = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastWrite: Promise<void> | undefined;
  private readonly onExit = (): void => this.writePending();

  constructor(private readonly sink: Sink) {
    super();
    process.on('exit', this.onExit);
  }

  override log(info: Entry, next: () => void): void {
    const line = String(info[MESSAGE]);
    // UTF-8 takes at most three bytes per UTF-16 code unit, plus the newline.
    const room = line.length * 3 + 1;
    if (this.used + room > this.batch.length) this.writePending();
    if (room > this.batch.length) {
      this.writeBytes(Buffer.from(`${line}\n`));
    } else {
      this.used += this.batch.write(line, this.used);
      this.batch[this.used++] = 0x0a;
      this.timer ??= setTimeout(() => this.writePending(), BATCH_MS);
    }
    next();
  }

  private writePending(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.used === 0) return;
    const bytes = this.batch.subarray(0, this.used);
    this.used = 0;
    this.writeBytes(bytes);
  }

  private writeBytes(bytes: Buffer): void {
    try {
      this.lastWrite = this.sink.write(bytes) ?? this.lastWrite;
    } catch (err) {
      this.emit('error', err);
    }
  }

  /** Writes the pending lines; resolves when everything written so far has left. */
  async flush(): Promise<void> {
    this.writePending();
    await this.lastWrite;
  }

  /**
   * Writes the pending lines to the file as it is, then opens the file by
   * its name again. Synchronous, between two lines: each line is written
   * once, to the old file or to the new one.
   */
  reopen(): void {
    this.writePending();
    this.sink.reopen();
  }

  override close(): void {
    this.writePending();
    process.off('exit', this.onExit);
    this.sink.close();
  }
}

function buildTransport(file: string): TransportStream {
  return new LineTransport(file ? fileSink(file) : streamSink(process.stdout));
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
