import express, { type NextFunction, type Request, type Response } from 'express';
import { asTandemError, type TandemError, UserError } from '../../exception';
import { newContext, type RequestContext, requestIdFrom, runWithContext, elapsedMs } from '../ctx';
import { logger } from '../log';
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

function depthExceeds(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (typeof node !== 'object' || node === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

const STATUS_CLASS = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

/** Records the access line and metrics of one request when its response is done. */
function onResponseDone(req: Request, res: Response, ctx: RequestContext, accessLog: boolean): void {
  const ms = elapsedMs(ctx);
  const template = req.route ? `${req.baseUrl}${String((req.route as { path: string }).path)}` : 'unmatched';
  const status = res.writableFinished ? res.statusCode : 499;
  const statusClass = STATUS_CLASS[Math.floor(status / 100)] ?? 'other';
  const name = `http.${req.method}.${metricSegment(template)}.${statusClass}`;
  statsd.timing(name, ms);
  prom.httpDuration.observe({ method: req.method, route: template, status: statusClass }, ms / 1000);
  prom.inFlight.dec({ protocol: 'http' });
  if (accessLog) {
    logger.info('http access', {
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
export function sendError(res: Response, err: TandemError, ctx: RequestContext): void {
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

  app.use((req: Request, res: Response, next: NextFunction) => {
    const ctx = newContext(
      'http',
      requestIdFrom(req.headers['x-request-id'] as string | undefined, req.headers.traceparent as string | undefined),
    );
    ctx.clientAddress = req.ip;
    req.tandem = ctx;
    res.setHeader('X-Request-Id', ctx.requestId);
    if (options.isDraining()) res.setHeader('Connection', 'close');
    prom.inFlight.inc({ protocol: 'http' });
    res.once('close', () => onResponseDone(req, res, ctx, options.accessLog));
    runWithContext(ctx, next);
  });

  for (const middleware of options.before ?? []) app.use(middleware);

  const json = express.json({ limit: options.bodyLimit, strict: true });
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE') return next();
    json(req, res, (err?: unknown) => {
      if (err) return next(err);
      if (depthExceeds(req.body, options.jsonMaxDepth)) {
        return next(
          new UserError('BAD_REQUEST', { params: { reason: `JSON nested deeper than ${options.jsonMaxDepth} levels.` } }),
        );
      }
      next();
    });
  });

  options.raw?.(app);

  for (const route of options.routes) {
    app[route.method](route.path, (req: Request, res: Response, next: NextFunction) => {
      const ctx = req.tandem as RequestContext;
      const run = async (): Promise<void> => {
        if (route.permission !== 'public' && options.authorize) await options.authorize(route, req, ctx);
        const input = validateInput(route, { params: req.params, query: req.query, body: req.body as unknown });
        const data = await route.handler({ ...(input as { params: unknown; query: unknown; body: unknown }), ctx });
        send(res, route.status, okEnvelope(data ?? null));
      };
      run().catch(next);
    });
  }

  app.use((req: Request, _res: Response, next: NextFunction) => {
    next(new UserError('ROUTE_NOT_FOUND', { params: { method: req.method, path: req.path } }));
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const ctx = req.tandem ?? newContext('http');
    sendError(res, errorFromExpress(err, options.bodyLimit), ctx);
  });

  return app;
}
