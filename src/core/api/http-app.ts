import express, { type NextFunction, type Request, type Response } from 'express';
import { DevError, ServerError, UserError } from '../../exception';
import { newContext, type RequestContext, requestIdFrom, runWithContext } from '../ctx';
import { registerHttpStatus } from '../response/http-status';
import { type Admission, openExchange } from '../pipeline';
import { traceHttpRequest } from '../trace';
import { allowedMethods } from './allowed-methods';
import { answerWith, respond, sendError, setHeaders } from './http-answer';
import { errorFromExpress, jsonBodyReader } from './http-body';
import { metricsOfOther, onResponseDone, RouteMetricsSet } from './http-metrics';
import type { Route } from './route';

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

  const readBody = jsonBodyReader(options);
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
    openExchange('http');
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
