import type { Request } from 'express';
import { asTandemError, DevError, TandemError, UserError } from '../../exception';
import { illFormedFields, isUtf8, markInvalidUtf8, NOT_UNICODE } from '../text';
import { validationFailed } from '../validation';

/** Reading a request's JSON body: its size, its bytes, its depth, and what the parser's failures mean. */

/** Whether JSON nests deeper than `max`; only objects and arrays are queued, never scalars. */
export function depthExceeds(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const stack: [object, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [object, number];
    if (depth > max) return true;
    for (const key in node) {
      const child = (node as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };

/** http.body_limit in bytes, read as body-parser reads it (`100kb`, `1mb`: units of 1024). */
export function bytesOf(limit: string): number {
  const match = /^(\d+)(b|kb|mb)$/.exec(limit.toLowerCase());
  if (!match) throw new DevError('INTERNAL', { cause: new Error(`${limit} is not a body size such as 100kb or 1mb.`) });
  return Number(match[1]) * (UNITS[match[2] as string] as number);
}

/**
 * body-parser's `verify` hook, which sees the body's bytes before they are
 * decoded: JSON.parse would turn bytes that are not UTF-8 into U+FFFD and
 * store them as text. A body that is not UTF-8 is refused, naming each field
 * that held bad bytes (found by parsing it again with those bytes marked).
 */
export function refuseBytesNotUtf8(_req: unknown, _res: unknown, bytes: Buffer, encoding: string): void {
  if (encoding !== 'utf-8' || isUtf8(bytes)) return;
  let marked: unknown;
  try {
    marked = JSON.parse(markInvalidUtf8(bytes));
  } catch (err) {
    throw new UserError('MALFORMED_JSON', { cause: err });
  }
  const fields = illFormedFields(marked, 'body');
  throw validationFailed(fields.length > 0 ? fields : [{ field: 'body', message: NOT_UNICODE }]);
}

/** The Content-Encoding a request declared, short enough to repeat in a message. */
function contentEncodingOf(req: Request): string {
  return (req.headers['content-encoding'] ?? 'identity').slice(0, 32);
}

/**
 * Our error for what the body parser (body-parser, raw-body, zlib) failed
 * with. Any other error it raises with a 4xx status (http-errors) is the
 * client's body that could not be read, never ours: a corrupt gzip stream is
 * a zlib error that body-parser passes on with status 400 and no type.
 */
export function errorFromExpress(err: unknown, limit: string, req: Request): TandemError {
  if (err instanceof TandemError) return err;
  const parserError = err as { type?: unknown; status?: unknown } | null;
  const type = parserError?.type;
  if (type === 'entity.parse.failed') return new UserError('MALFORMED_JSON', { cause: err });
  if (type === 'entity.too.large') return new UserError('BODY_TOO_LARGE', { params: { limit }, cause: err });
  if (type === 'encoding.unsupported') {
    return new UserError('UNSUPPORTED_CONTENT_ENCODING', { params: { encoding: contentEncodingOf(req) }, cause: err });
  }
  if (type === 'charset.unsupported') return new UserError('UNSUPPORTED_MEDIA_TYPE', { cause: err });
  const status = parserError?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new UserError('BODY_UNREADABLE', { params: { encoding: contentEncodingOf(req) }, cause: err });
  }
  return asTandemError(err);
}
