import winston from 'winston';
import { currentContext } from '../ctx';
// The leaf of core/trace, not its face: the face's setup imports this logger.
// eslint-disable-next-line no-restricted-imports -- core/trace's face would import this logger back (a cycle).
import { activeTraceFields, tracing } from '../trace/active';
import { isSecret, REDACT_MAX_VALUES, type RedactWalk, redactSecrets } from './redact';

/**
 * What a log line says: one JSON object with the request's id and caller,
 * the trace ids when tracing is on, secrets redacted, the time and the
 * service name, made in one pass.
 */

/** Where winston (triple-beam) keeps the finished line and the level of an entry. */
export const MESSAGE = Symbol.for('message');
export const LEVEL = Symbol.for('level');

/** A log entry as the format and the transports see it. */
export type Entry = winston.Logform.TransformableInfo & { [MESSAGE]?: unknown };

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
export function buildFormat(service: string): winston.Logform.Format {
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
