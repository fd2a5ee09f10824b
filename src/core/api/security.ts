import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';
import type express from 'express';
import helmet from 'helmet';

const HELMET_OPTIONS = {
  contentSecurityPolicy: {
    directives: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:'], styleSrc: ["'self'", "'unsafe-inline'"] },
  },
};

/**
 * The headers helmet sets for our options, computed once by running helmet
 * itself against a recording response. With these options (no CSP nonces)
 * they do not depend on the request, and setting them in one loop costs a
 * fraction of helmet's chain of twelve middlewares on every request.
 */
function helmetHeaders(): [string, string][] {
  const headers: [string, string][] = [];
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers.push([name, Array.isArray(value) ? value.join(', ') : String(value)]);
    },
    removeHeader: () => undefined,
    getHeader: () => undefined,
  };
  let called = false;
  helmet(HELMET_OPTIONS)({ headers: {} } as IncomingMessage, recorder as unknown as ServerResponse, () => {
    called = true;
  });
  // Helmet calls next synchronously; if a future version did not, fail loudly rather than send no headers.
  if (!called) throw new Error('helmet did not finish synchronously; compute its headers per request instead.');
  return headers;
}

/**
 * Security headers (helmet's) on every response, and CORS for the configured
 * browser origins only. CORS concerns requests that carry an Origin header;
 * the others skip it. The API answers JSON, so the content security policy
 * only has to allow the /docs page's own scripts and styles.
 */
export function httpSecurity(corsOrigins: readonly string[]): express.RequestHandler[] {
  const headers = helmetHeaders();
  const corsMiddleware = cors({
    origin: corsOrigins.length === 0 ? false : [...corsOrigins],
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', 'traceparent'],
    exposedHeaders: ['X-Request-Id', 'Retry-After'],
    maxAge: 600,
  });
  return [
    (req, res, next) => {
      for (const [name, value] of headers) res.setHeader(name, value);
      if (req.headers.origin === undefined) return next();
      corsMiddleware(req, res, next);
    },
  ];
}
