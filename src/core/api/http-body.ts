import express, { type Request, type Response } from 'express';
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

/** What the body reader needs of the app's options. */
export interface BodyLimits {
  bodyLimit: string;
  jsonMaxDepth: number;
  bodyTimeoutMs?: number;
}

/**
 * The reader of a route's JSON body. It runs after the route's auth check:
 * a stranger's body is never parsed (Node discards it unread once the 401
 * is sent). A body that is not JSON, over the limit, nested too deep, not
 * text, or not arrived whole http.body_timeout_ms after its first byte is
 * refused with its own error; the answer then closes the connection.
 */
export function jsonBodyReader(options: BodyLimits): (req: Request, res: Response) => Promise<void> {
  const json = express.json({ limit: options.bodyLimit, strict: true, verify: refuseBytesNotUtf8 });
  const bodyTimeoutMs = options.bodyTimeoutMs ?? 0;
  const limitBytes = bytesOf(options.bodyLimit);
  return (req: Request, res: Response): Promise<void> =>
    new Promise((resolve, reject) => {
      // A body sent as something else (a form, text/plain, no Content-Type) would be left unread by
      // the JSON parser and every field reported missing: say what is wrong instead. An empty body
      // (is() gives null without one) goes on to validation, which names the missing fields.
      const empty = req.headers['content-length'] === '0';
      if (!empty && req.is('application/json') === false) return reject(new UserError('UNSUPPORTED_MEDIA_TYPE'));
      // body-parser reads a refused body to its end before it reports the refusal (a 100 MB chunked
      // body crossed the wire before its 413): the limit and the deadline are checked here as the
      // bytes come, and the answer closes the connection (sendError), which stops the reading.
      const tooLarge = (): UserError => new UserError('BODY_TOO_LARGE', { params: { limit: options.bodyLimit } });
      if (Number(req.headers['content-length']) > limitBytes) return reject(tooLarge());
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let received = 0;
      const fail = (err: UserError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      };
      // Counts the bytes as they arrive (encoded, if the body is: a compressed body over the limit
      // decodes to one over it too, deflate adds at most a few bytes per 64 KB) and times the body
      // from its first byte.
      const onData = (chunk: Buffer): void => {
        if (received === 0 && bodyTimeoutMs > 0) {
          timer = setTimeout(
            () => fail(new UserError('REQUEST_TIMEOUT', { params: { timeout_ms: bodyTimeoutMs } })),
            bodyTimeoutMs,
          );
        }
        received += chunk.length;
        if (received > limitBytes) fail(tooLarge());
      };
      req.tandemReadingBody = true;
      json(req, res, (err?: unknown) => {
        req.tandemReadingBody = false;
        clearTimeout(timer);
        req.off('data', onData);
        if (settled) return;
        settled = true;
        if (err) return reject(errorFromExpress(err, options.bodyLimit, req));
        // A lone surrogate sent escaped (`"\ud800"`) is valid JSON but not text.
        const illFormed = illFormedFields(req.body, 'body');
        if (illFormed.length > 0) return reject(validationFailed(illFormed));
        if (depthExceeds(req.body, options.jsonMaxDepth)) {
          return reject(
            new UserError('BAD_REQUEST', {
              params: { reason: `JSON nested deeper than ${options.jsonMaxDepth} levels.` },
            }),
          );
        }
        resolve();
      });
      // The parser has attached its own listeners synchronously when it reads at all (a second
      // 'data' listener then changes nothing); one that refused early left the body paused, and a
      // listener here would start reading it.
      if (!settled && req.listenerCount('data') > 0) req.on('data', onData);
    });
}
