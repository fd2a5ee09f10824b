import type { Socket } from 'node:net';
import type { Request, Response } from 'express';
import type { TandemError } from '../../exception';
import { isPromiseLike } from '../async';
import type { RequestContext } from '../ctx';
import { prom } from '../monitor';
import { recordFailure } from '../pipeline';
import { errorEnvelope, okEnvelope } from '../response/envelope';
import { httpStatusOf, retryAfterOf } from '../response/http-status';
import { type Route, validateInput } from './route';

/**
 * How the HTTP door writes its answers: the envelope with its headers in one
 * writeHead, a route's handler called and answered, and the error answer
 * (with a lingering close when a body was refused before its end).
 */

const JSON_TYPE = 'application/json; charset=utf-8';
/** For answers that carry a secret (a session token) or a person's data: no cache may keep them. */
const NO_STORE: readonly string[] = ['Cache-Control', 'no-store'];

/** Writes an envelope: the body and every header of the answer. */
export type Answer = (
  res: Response,
  status: number,
  body: unknown,
  requestId: string,
  extra?: readonly string[],
) => void;

/**
 * The function that writes envelopes for one app. The headers go out in one
 * writeHead call: no Express res.json machinery (no ETag hashing), and none
 * of setHeader's bookkeeping (a name check and a lower-cased map entry per
 * header) for headers that are the same on every answer. Node merges them
 * with any header set before (CORS, the raw pages' set), these winning.
 */
export function answerWith(fixed: readonly string[], isDraining: () => boolean): Answer {
  return (res, status, body, requestId, extra) => {
    // Already answered (the request's deadline passed first): the late result is dropped.
    if (res.headersSent) return;
    const payload = JSON.stringify(body);
    const headers = [
      'X-Request-Id',
      requestId,
      'Content-Type',
      JSON_TYPE,
      'Content-Length',
      String(Buffer.byteLength(payload)),
    ];
    for (let i = 0; i < fixed.length; i += 1) headers.push(fixed[i] as string);
    if (extra) for (let i = 0; i < extra.length; i += 1) headers.push(extra[i] as string);
    if (isDraining()) headers.push('Connection', 'close');
    res.writeHead(status, headers);
    res.end(payload);
  };
}

/** Sets name/value pairs with setHeader, for answers that other code writes. */
export function setHeaders(res: Response, headers: readonly string[]): void {
  for (let i = 0; i + 1 < headers.length; i += 2) res.setHeader(headers[i] as string, headers[i + 1] as string);
}

/** The route a request matched (`POST /api/cs/events`), or `unmatched`, for the failure's log line. */
function operationOf(req: Request): string {
  const template =
    req.tandemMetrics?.template ??
    (req.route ? `${req.baseUrl}${String((req.route as { path: string }).path)}` : 'unmatched');
  return `${req.method} ${template}`;
}

/**
 * Answers with the error envelope. What is logged and counted is the
 * pipeline's one policy for both doors (recordFailure); an answer that
 * fails after its headers went out (a deadline's 503 first) is counted and
 * cut, not answered twice.
 */
export function sendError(answer: Answer, res: Response, err: TandemError, ctx: RequestContext): void {
  if (res.headersSent) {
    prom.errorsTotal.inc({ protocol: 'http', kind: err.kind });
    // A stream that failed midway is cut; an answer already complete (a deadline's 503) is left to finish.
    if (!res.writableEnded) res.destroy();
    return;
  }
  recordFailure(err, { door: 'http', requestId: ctx.requestId, operation: operationOf(res.req) });
  const status = httpStatusOf(err);
  const retryAfter = retryAfterOf(err, status);
  const extra = retryAfter === undefined ? [] : ['Retry-After', String(retryAfter)];
  // A body refused before its end (too large, too slow) is not read on: Node would otherwise read it
  // to its end to reach the next request on the connection. Closing stops it at once.
  if ((err.errorName === 'BODY_TOO_LARGE' || err.errorName === 'REQUEST_TIMEOUT') && !res.req.complete) {
    extra.push('Connection', 'close');
    lingerOnClose(res.req.socket);
  }
  answer(res, status, errorEnvelope(err, ctx.requestId), ctx.requestId, extra);
}

/** How long a connection whose body was refused is kept after its answer, for the client to read it. */
const LINGER_MS = 2000;

/**
 * A lingering close (as nginx's lingering_close): Node closes a
 * `Connection: close` answer's socket as soon as the answer is written, and
 * a socket closed with bytes of the client's body still unread sends a
 * reset, which makes the client's kernel drop the answer before the client
 * has read it (seen in CI: a 413 read as a reset). Here the answer is
 * followed by a FIN, nothing more is read (the client's writes fill its TCP
 * window and stop), and the socket is destroyed when the client closes or
 * after LINGER_MS.
 */
function lingerOnClose(socket: Socket): void {
  socket.destroySoon = () => {
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    socket.pause();
    socket.end();
  };
}

/**
 * Validates the input, calls the handler and answers with the envelope. A
 * handler that returns a plain value is answered in the same tick, without
 * the promises (and async-context bookkeeping) an async wrapper would cost;
 * a promise is awaited. Throws or rejects with what the handler threw.
 */
export function respond(
  answer: Answer,
  route: Route,
  req: Request,
  res: Response,
  ctx: RequestContext,
): Promise<void> | undefined {
  // Express parses the query string on every read of req.query: only read it for a route that declares one.
  const query: unknown = route.query ? req.query : undefined;
  const input = validateInput(route, { params: req.params, query, body: req.body as unknown });
  const data = route.handler({ ...input, ctx });
  const extra = route.noStore ? NO_STORE : undefined;
  if (isPromiseLike(data)) {
    return Promise.resolve(data).then((value) =>
      answer(res, route.status, okEnvelope(value ?? null), ctx.requestId, extra),
    );
  }
  answer(res, route.status, okEnvelope(data ?? null), ctx.requestId, extra);
  return undefined;
}
