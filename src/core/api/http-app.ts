import type { Socket } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { isPromiseLike } from '../async/promise';
import { DevError, ServerError, type TandemError, UserError } from '../../exception';
import { newContext, type RequestContext, requestIdFrom, runWithContext } from '../ctx';
import { prom } from '../monitor';
import { errorEnvelope, okEnvelope } from '../response/envelope';
import { httpStatusOf, registerHttpStatus, retryAfterOf } from '../response/http-status';
import { type Admission, recordFailure } from '../pipeline';
import { traceHttpRequest } from '../trace';
import { allowedMethods } from './allowed-methods';
import { illFormedFields } from '../text';
import { validationFailed } from '../validation';
import { bytesOf, depthExceeds, errorFromExpress, refuseBytesNotUtf8 } from './http-body';
import { metricsOfOther, onResponseDone, RouteMetricsSet } from './http-metrics';
import { type Route, validateInput } from './route';

export interface HttpAppOptions {
  routes: Route[];
  bodyLimit: string;
  jsonMaxDepth: number;
  /**
   * Which X-Forwarded-For entry is the client, as Express's `trust proxy`:
   * a number of proxy hops or the proxies' networks, counted from the right;
   * false (or 0) takes the socket's address.
   */
  trustProxy: false | number | readonly string[];
  accessLog: boolean;
  /**
   * The ceiling of one request, authentication included (http.request_timeout_ms):
   * past it the caller gets 503 REQUEST_DEADLINE with Retry-After, whatever is
   * still waiting. 0 or absent: no ceiling.
   */
  requestTimeoutMs?: number;
  /**
   * How long a route's request body may take to arrive, from its first byte
   * (http.body_timeout_ms): past it, or past requestTimeoutMs while the body
   * is still arriving, the caller gets 408 REQUEST_TIMEOUT and the
   * connection is closed. 0 or absent: only requestTimeoutMs.
   */
  bodyTimeoutMs?: number;
  /** True once the process is draining for shutdown: responses then close their connection. */
  isDraining: () => boolean;
  /**
   * Checks that the caller may use a route and records who they are on the
   * context; throws an AuthError otherwise. Routes marked `public` skip it.
   */
  authorize?: (route: Route, req: Request, ctx: RequestContext) => Promise<void>;
  /** The security headers of every answer; none when absent. */
  headers?: ResponseHeaders;
  /** Middleware that runs before the routes (CORS). */
  before?: express.RequestHandler[];
  /** Endpoints outside the envelope (GET /metrics, /docs), mounted before the routes. */
  raw?: (app: express.Express) => void;
  /**
   * The door's admission (core/pipeline/admission.ts): a request past its
   * limits is answered 503 OVERLOADED with Retry-After before any other work.
   * None: every request is served.
   */
  admission?: Admission;
  /** Paths outside the routes that admission never sheds (GET /metrics); routes say it with `shed: false`. */
  neverShed?: readonly string[];
}

/** A path as Express matches it by default: case-insensitive, one trailing slash ignored. */
function pathKey(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}

/**
 * The headers every answer carries besides its own, as alternating names and
 * values (`['X-Frame-Options', 'DENY', ...]`): `api` on every enveloped
 * answer, `forPath(path)` on the answers tandem does not envelope (the raw
 * pages, a CORS preflight).
 */
export interface ResponseHeaders {
  api: readonly string[];
  forPath: (path: string) => readonly string[];
}

const NO_HEADERS: ResponseHeaders = { api: [], forPath: () => [] };

declare module 'express-serve-static-core' {
  interface Request {
    tandem?: RequestContext;
    /** The metrics of the declared route that matched, set by its handler. */
    tandemMetrics?: RouteMetricsSet;
    /** True while a route reads this request's body: the request deadline is then the client's slowness (408). */
    tandemReadingBody?: boolean;
  }
}

registerHttpStatus({ UNSUPPORTED_CONTENT_ENCODING: 415 });

const JSON_TYPE = 'application/json; charset=utf-8';
/** For answers that carry a secret (a session token) or a person's data: no cache may keep them. */
const NO_STORE: readonly string[] = ['Cache-Control', 'no-store'];

/** Writes an envelope: the body and every header of the answer. */
type Answer = (res: Response, status: number, body: unknown, requestId: string, extra?: readonly string[]) => void;

/**
 * The function that writes envelopes for one app. The headers go out in one
 * writeHead call: no Express res.json machinery (no ETag hashing), and none
 * of setHeader's bookkeeping (a name check and a lower-cased map entry per
 * header) for headers that are the same on every answer. Node merges them
 * with any header set before (CORS, the raw pages' set), these winning.
 */
function answerWith(fixed: readonly string[], isDraining: () => boolean): Answer {
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
function setHeaders(res: Response, headers: readonly string[]): void {
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
function sendError(answer: Answer, res: Response, err: TandemError, ctx: RequestContext): void {
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
function respond(
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

/**
 * The Express app: context and request id, access log and metrics, JSON
 * bodies with size and depth limits, the declared routes, and the envelope
 * for every answer including 404 and malformed JSON.
 */
export function createHttpApp(options: HttpAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  const trustProxy = options.trustProxy === 0 ? false : options.trustProxy;
  // A number or a list of networks makes Express (proxy-addr) walk X-Forwarded-For from the right.
  app.set('trust proxy', Array.isArray(trustProxy) ? [...(trustProxy as readonly string[])] : trustProxy);

  const json = express.json({ limit: options.bodyLimit, strict: true, verify: refuseBytesNotUtf8 });
  const bodyTimeoutMs = options.bodyTimeoutMs ?? 0;
  const limitBytes = bytesOf(options.bodyLimit);
  /**
   * Reads and parses the JSON body of a route that declares one. It runs
   * after the route's auth check: a stranger's body is never parsed (Node
   * discards it unread once the 401 is sent). A body that has not arrived
   * whole http.body_timeout_ms after its first byte is a 408.
   */
  const readBody = (req: Request, res: Response): Promise<void> =>
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
  // Security headers and CORS run inside the entry middleware rather than as router layers of
  // their own: every layer costs each request a pass through Express's router.
  const before: express.RequestHandler[] = [...(options.before ?? [])];
  const runBefore = (i: number, req: Request, res: Response, next: NextFunction): void => {
    const step = before[i];
    if (!step) return next();
    void step(req, res, (err?: unknown) => (err ? next(err) : runBefore(i + 1, req, res, next)));
  };

  const headers = options.headers ?? NO_HEADERS;
  const { admission } = options;
  // Admission runs before routing, on the request's path: only a fixed path can be exempt.
  const unsheddable = options.routes.filter((r) => !r.shed);
  const withParams = unsheddable.find((r) => r.path.includes(':'));
  if (withParams) {
    throw new DevError('INTERNAL', { cause: new Error(`${withParams.path}: only a fixed path can say shed: false`) });
  }
  const neverShed = new Set([...(options.neverShed ?? []), ...unsheddable.map((r) => r.path)].map(pathKey));
  const answer = answerWith(headers.api, options.isDraining);
  /** Sets the headers of an answer that tandem does not write itself: a raw page, a CORS preflight. */
  const setOtherHeaders = (req: Request, res: Response, ctx: RequestContext): void => {
    res.setHeader('X-Request-Id', ctx.requestId);
    setHeaders(res, headers.forPath(req.path));
    if (options.isDraining()) res.setHeader('Connection', 'close');
  };

  app.use((req: Request, res: Response, next: NextFunction) => {
    const ctx = newContext(
      'http',
      requestIdFrom(req.headers['x-request-id'] as string | undefined, req.headers.traceparent as string | undefined),
    );
    // Without a trusted proxy req.ip is the socket's address; reading it directly skips proxy-addr.
    ctx.clientAddress = trustProxy === false ? req.socket.remoteAddress : req.ip;
    req.tandem = ctx;
    // No route answers OPTIONS: it is a CORS preflight that the CORS middleware answers, or a 404.
    if (req.method === 'OPTIONS') setOtherHeaders(req, res, ctx);
    prom.inFlightNow.http += 1;
    res.on('close', () => onResponseDone(req, res, ctx, options.accessLog));
    if (admission && !neverShed.has(pathKey(req.path))) {
      // Before anything else runs for it: a shed request costs its parse and this answer, nothing more.
      const refused = admission.admit();
      if (refused) {
        // Its access line and latency go under the route `shed`: how fast refusals are is a figure of its own.
        req.tandemMetrics = metricsOfOther(req.method, 'shed');
        return runWithContext(ctx, () => sendError(answer, res, refused, ctx));
      }
      res.once('close', () => admission.release());
    }
    traceHttpRequest(req, res, ctx, () => runWithContext(ctx, () => runBefore(0, req, res, next)));
  });

  const deadlineMs = options.requestTimeoutMs ?? 0;
  for (const route of options.routes) {
    const authorize = route.permission !== 'public' ? options.authorize : undefined;
    const method = route.method.toUpperCase();
    const hasBody = route.body !== undefined && method !== 'GET' && method !== 'DELETE';
    const metrics = new RouteMetricsSet(method, route.path);
    app[route.method](route.path, (req: Request, res: Response, next: NextFunction) => {
      const ctx = req.tandem as RequestContext;
      if (deadlineMs > 0) {
        ctx.deadlineAt = Date.now() + deadlineMs;
        const timer = setTimeout(() => {
          if (res.headersSent) return;
          // Still waiting for the caller's body: its slowness, not ours (408, no dependency alarm).
          const err = req.tandemReadingBody
            ? new UserError('REQUEST_TIMEOUT', { params: { timeout_ms: deadlineMs } })
            : new ServerError('REQUEST_DEADLINE', { params: { timeout_ms: deadlineMs } });
          runWithContext(ctx, () => sendError(answer, res, err, ctx));
        }, deadlineMs);
        res.once('close', () => clearTimeout(timer));
      }
      // Express also routes HEAD to a GET route: that request keeps its own method's metrics.
      if (req.method === method) req.tandemMetrics = metrics;
      try {
        if (authorize) {
          authorize(route, req, ctx)
            .then(() => (hasBody ? readBody(req, res) : undefined))
            .then(() => respond(answer, route, req, res, ctx))
            .catch(next);
          return;
        }
        if (hasBody) {
          readBody(req, res)
            .then(() => respond(answer, route, req, res, ctx))
            .catch(next);
          return;
        }
        respond(answer, route, req, res, ctx)?.catch(next);
      } catch (err) {
        next(err);
      }
    });
  }

  // Docs and metrics come after the API routes, so API requests do not pass their layers first.
  // What gets here was not answered by a declared route: its headers are set the slow way.
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.tandem) setOtherHeaders(req, res, req.tandem);
    next();
  });
  options.raw?.(app);

  app.use((req: Request, res: Response, next: NextFunction) => {
    const params = { method: req.method, path: req.path };
    // A path some route serves, asked with another method: 405 naming the methods it takes.
    const allow = allowedMethods(app, req.path);
    if (allow.length === 0) return next(new UserError('ROUTE_NOT_FOUND', { params }));
    res.setHeader('Allow', allow.join(', '));
    next(new UserError('METHOD_NOT_ALLOWED', { params }));
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const ctx = req.tandem ?? newContext('http');
    sendError(answer, res, errorFromExpress(err, options.bodyLimit, req), ctx);
  });

  return app;
}
