import { Writable } from 'node:stream';
import winston from 'winston';
import { logger } from '../../src/core/log';
import { waitFor } from './wait';

/** One log line as written: the parsed JSON object. */
export type LogLine = Record<string, unknown>;

export interface LogCapture {
  readonly lines: LogLine[];
  /** Waits (bounded) for the first line that matches. */
  find: (match: (line: LogLine) => boolean, ms?: number) => Promise<LogLine>;
}

/**
 * Captures the JSON lines the process logger writes, in their final format.
 * Call it after `startApp` (which reconfigures the logger's transports); it
 * replaces the stdout transport so that test output stays readable.
 */
export function captureLogs(): LogCapture {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) {
        if (text.trim() !== '') lines.push(JSON.parse(text) as LogLine);
      }
      done();
    },
  });
  logger.clear();
  logger.add(new winston.transports.Stream({ stream: sink }));
  // test/setup/quiet-logger.ts starts files at warn; a capture wants the info lines too.
  if (logger.level === 'warn' || logger.level === 'error') logger.level = 'info';
  return {
    lines,
    find: (match, ms = 3000) => waitFor(() => lines.find(match), ms, 'a matching log line'),
  };
}
