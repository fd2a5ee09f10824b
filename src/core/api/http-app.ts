import express, { type NextFunction, type Request, type Response } from 'express';
import { asTandemError, type TandemError, UserError } from '../../exception';
import { newContext, type RequestContext, requestIdFrom, runWithContext, elapsedMs } from '../ctx';
import { logAccess, logger } from '../log';
import { metricSegment, prom, statsd } from '../monitor';
import { errorEnvelope, okEnvelope } from '../response/envelope';
import { httpStatusOf } from '../response/http-status';
import { type Route, validateInput } from './route';

export interface HttpAppOptions {
  routes: Route[];
  bodyLimit: string;
  jsonMaxDepth: number;
  trustProxy: boolean;
  accessLog: boolean;
  /** True once the process is draining for shutdown: responses then close their connection. */
  isDraining: () => boolean;
  /**
   * Checks that the caller may use a route and records who they are on the
   * context; throws an AuthError otherwise. Routes marked `public` skip it.
   */
  authorize?: (route: Route, req: Request, ctx: RequestContext) => Promise<void>;
  /** Middleware that runs before the routes (security headers, CORS). */
  before?: express.RequestHandler[];
  /** Endpoints outside the envelope (GET /metrics, /docs), mounted before the routes. */
  raw?: (app: express.Express) => void;
}

declare module 'express-serve-static-core' {
  interface Request {
    tandem?: RequestContext;
  }
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** Writes an envelope without Express's res.json machinery (no ETag hashing on the hot path). */
function send(res: Response, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', JSON_TYPE);
  res.setHeader('Content-Length', Buffer.byteLength(payload));
  res.end(payload);
}

/** Whether JSON nests deeper than `max`; only objects and arrays are queued, never scalars. */
function depthExceeds(value: unknown, max: number): boolean {
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

const STATUS_CLASS = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

/** The statsd name and Prometheus series of one method, route template and status class. */
interface RouteMetrics {
  statsdName: string;
  duration: { observe: (seconds: number) => void };
}

/**
 * Built once per method, route template and status class, so a request does
 * not rebuild the statsd name or re-validate the Prometheus labels. Bounded:
 * templates are the declared routes (or `unmatched`) and methods the few
 * that Node's HTTP parser accepts.
 */
const routeMetrics = new Map<string, RouteMetrics>();

function metricsOf(method: string, template: string, statusClass: string): RouteMetrics {
  const key = `${method} ${statusClass} ${template}`;
  let metrics = routeMetrics.get(key);
  if (!metrics) {
    metrics = {
      statsdName: `http.${method}.${metricSegment(template)}.${statusClass}`,
      duration: prom.httpDuration.labels(method, template, statusClass),
    };
    routeMetrics.set(key, metrics);
  }
  return metrics;
}

/** Records the access line and metrics of one request when its response is done. */
function onResponseDone(req: Request, res: Response, ctx: RequestContext, accessLog: boolean): void {
  const ms = elapsedMs(ctx);
  const template = req.route ? `${req.baseUrl}${String((req.route as { path: string }).path)}` : 'unmatched';
  const status = res.writableFinished ? res.statusCode : 499;
  const statusClass = STATUS_CLASS[Math.floor(status / 100)] ?? 'other';
  const metrics = metricsOf(req.method, template, statusClass);
  statsd.timing(metrics.statsdName, ms);
  metrics.duration.observe(ms / 1000);
  prom.inFlightNow.http -= 1;
  if (accessLog) {
    logAccess('http access', {
      request_id: ctx.requestId,
      caller: ctx.caller,
      method: req.method,
      route: template,
      path: req.path,
      status,
      duration_ms: Math.round(ms * 100) / 100,
    });
  }
}

function errorFromExpress(err: unknown, limit: string): TandemError {
  const type = (err as { type?: unknown } | null)?.type;
  if (type === 'entity.parse.failed') return new UserError('MALFORMED_JSON', { cause: err });
  if (type === 'entity.too.large') return new UserError('BODY_TOO_LARGE', { params: { limit }, cause: err });
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') {
    return new UserError('UNSUPPORTED_MEDIA_TYPE', { cause: err });
  }
  return asTandemError(err);
}

/** Answers with the error envelope; unknown errors are logged with their stack and counted. */
function sendError(res: Response, err: TandemError, ctx: RequestContext): void {
  const status = httpStatusOf(err);
  prom.errorsTotal.inc({ protocol: 'http', kind: err.kind });
  if (err.kind === 'DevError' || status >= 500) {
    const cause = err.cause instanceof Error ? err.cause : err;
    logger.error('request failed', {
      request_id: ctx.requestId,
      kind: err.kind,
      code: err.code,
      error: cause.message,
      stack: cause.stack,
    });
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const retryAfter = err.params.retry_after;
  if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
  send(res, status, errorEnvelope(err, ctx.requestId));
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Validates the input, calls the handler and answers with the envelope. A
 * handler that returns a plain value is answered in the same tick, without
 * the promises (and async-context bookkeeping) an async wrapper would cost;
 * a promise is awaited. Throws or rejects with what the handler threw.
 */
function respond(route: Route, req: Request, res: Response, ctx: RequestContext): Promise<void> | undefined {
  // Express parses the query string on every read of req.query: only read it for a route that declares one.
  const query: unknown = route.query ? req.query : undefined;
  const input = validateInput(route, { params: req.params, query, body: req.body as unknown });
  const data = route.handler({ ...input, ctx });
  if (isPromiseLike(data)) {
    return Promise.resolve(data).then((value) => send(res, route.status, okEnvelope(value ?? null)));
  }
  send(res, route.status, okEnvelope(data ?? null));
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
  app.set('trust proxy', options.trustProxy);

  const json = express.json({ limit: options.bodyLimit, strict: true });
  const parseBody = (req: Request, res: Response, next: NextFunction): void => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE') return next();
    json(req, res, (err?: unknown) => {
      if (err) return next(err);
      if (depthExceeds(req.body, options.jsonMaxDepth)) {
        return next(
          new UserError('BAD_REQUEST', {
            params: { reason: `JSON nested deeper than ${options.jsonMaxDepth} levels.` },
          }),
        );
      }
      next();
    });
  };
  // Security headers, CORS and the JSON body run inside the entry middleware rather than as router
  // layers of their own: every layer costs each request a pass through Express's router.
  const before: express.RequestHandler[] = [...(options.before ?? []), parseBody];
  const runBefore = (i: number, req: Request, res: Response, next: NextFunction): void => {
    const step = before[i];
    if (!step) return next();
    void step(req, res, (err?: unknown) => (err ? next(err) : runBefore(i + 1, req, res, next)));
  };

  app.use((req: Request, res: Response, next: NextFunction) => {
    const ctx = newContext(
      'http',
      requestIdFrom(req.headers['x-request-id'] as string | undefined, req.headers.traceparent as string | undefined),
    );
    // Without a trusted proxy req.ip is the socket's address; reading it directly skips proxy-addr.
    ctx.clientAddress = options.trustProxy ? req.ip : req.socket.remoteAddress;
    req.tandem = ctx;
    res.setHeader('X-Request-Id', ctx.requestId);
    if (options.isDraining()) res.setHeader('Connection', 'close');
    prom.inFlightNow.http += 1;
    res.on('close', () => onResponseDone(req, res, ctx, options.accessLog));
    runWithContext(ctx, () => runBefore(0, req, res, next));
  });

  for (const route of options.routes) {
    const authorize = route.permission !== 'public' ? options.authorize : undefined;
    app[route.method](route.path, (req: Request, res: Response, next: NextFunction) => {
      const ctx = req.tandem as RequestContext;
      try {
        if (authorize) {
          authorize(route, req, ctx)
            .then(() => respond(route, req, res, ctx))
            .catch(next);
          return;
        }
        respond(route, req, res, ctx)?.catch(next);
      } catch (err) {
        next(err);
      }
    });
  }

  // Docs and metrics come after the API routes, so API requests do not pass their layers first.
  options.raw?.(app);

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new UserError('ROUTE_NOT_FOUND', { params: { method: req.method, path: req.path } }));
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const ctx = req.tandem ?? newContext('http');
    sendError(res, errorFromExpress(err, options.bodyLimit), ctx);
  });

  return app;
}
