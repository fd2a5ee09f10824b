import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { waitFor } from './wait';

/** One JSON line of a log file, and the file it was read from. */
export interface FileLine {
  file: string;
  entry: Record<string, unknown>;
}

/**
 * Every line of every file in `dir` whose name starts with `base` (the log
 * and its rotated copies, gzipped ones read through gunzip), parsed; a line that is not JSON (a line cut in
 * two would be one) is kept with `unparsed`.
 */
export function readLogFiles(dir: string, base: string): FileLine[] {
  const lines: FileLine[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    if (!name.startsWith(base)) continue;
    const bytes = fs.readFileSync(path.join(dir, name));
    const content = (name.endsWith('.gz') ? zlib.gunzipSync(bytes) : bytes).toString('utf8');
    for (const text of content.split('\n')) {
      if (text === '') continue;
      try {
        lines.push({ file: name, entry: JSON.parse(text) as Record<string, unknown> });
      } catch {
        lines.push({ file: name, entry: { unparsed: text } });
      }
    }
  }
  return lines;
}

/** Waits until the files hold at least `count` lines with `message`; returns them. */
export function waitForLines(
  dir: string,
  base: string,
  message: string,
  count = 1,
  ms = 60_000,
): Promise<Record<string, unknown>[]> {
  return waitFor(
    () => {
      if (!fs.existsSync(dir)) return undefined;
      const found = readLogFiles(dir, base)
        .map((l) => l.entry)
        .filter((e) => e.message === message);
      return found.length >= count ? found : undefined;
    },
    ms,
    `${count} log line(s) "${message}" in ${path.join(dir, base)}`,
  );
}

/** How the lines that carry the given request ids came out: each should be there once. */
export interface LineCount {
  expected: number;
  found: number;
  lost: number;
  doubled: number;
  unparsed: number;
  /** Lines with one of the ids, per file. */
  perFile: Record<string, number>;
}

/** Counts the lines with `message` whose request_id is one of `ids`, across the log and its rotated copies. */
export function countLines(dir: string, base: string, message: string, ids: Set<string>): LineCount {
  const seen = new Map<string, number>();
  const perFile: Record<string, number> = {};
  let unparsed = 0;
  for (const { file, entry } of readLogFiles(dir, base)) {
    if (entry.unparsed !== undefined) unparsed += 1;
    if (entry.message !== message || typeof entry.request_id !== 'string' || !ids.has(entry.request_id)) continue;
    seen.set(entry.request_id, (seen.get(entry.request_id) ?? 0) + 1);
    perFile[file] = (perFile[file] ?? 0) + 1;
  }
  let doubled = 0;
  for (const n of seen.values()) doubled += n - 1;
  return { expected: ids.size, found: seen.size, lost: ids.size - seen.size, doubled, unparsed, perFile };
}

/** Renames the log away as logrotate does (`base` -> `base.N`), then sends SIGHUP to `pid`. */
export function rotateByHand(dir: string, base: string, n: number, pid: number): void {
  fs.renameSync(path.join(dir, base), path.join(dir, `${base}.${n}`));
  process.kill(pid, 'SIGHUP');
}

/**
 * Sends `total` requests, `concurrency` at a time, calling `between(k)`
 * before request number k * total / (times + 1), k = 1..times: so the
 * rotations happen while requests are in flight. Returns what failed.
 */
export async function driveLoad(options: {
  total: number;
  concurrency: number;
  times: number;
  send: (i: number) => Promise<void>;
  between: (k: number) => void | Promise<void>;
}): Promise<string[]> {
  const { total, concurrency, times, send, between } = options;
  const step = Math.floor(total / (times + 1));
  const failures: string[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      if (i > 0 && i % step === 0 && i / step <= times) await between(i / step);
      await send(i).catch((err: unknown) => {
        failures.push(`${i}: ${err instanceof Error ? err.message : String(err)}`);
      });
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return failures;
}
