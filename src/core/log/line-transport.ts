import fs from 'node:fs';
import path from 'node:path';
import winston from 'winston';
import type TransportStream from 'winston-transport';
import { type Entry, MESSAGE } from './line-format';

/**
 * Where finished log lines go: batched into few writes, to a file (written
 * synchronously, reopened after rotation) or to standard output.
 */

/** Lines logged within this many milliseconds go to their destination in one write. */
const BATCH_MS = 10;
/** A batch that fills this many bytes is written at once. */
const BATCH_BYTES = 64 * 1024;

/** winston's transport base class (its typings only export the type). */
const Transport = (winston as unknown as { Transport: typeof TransportStream }).Transport;

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
export class LineTransport extends Transport {
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

/** The transport of the log: log.file when set, else standard output. */
export function buildTransport(file: string): TransportStream {
  return new LineTransport(file ? fileSink(file) : streamSink(process.stdout));
}
