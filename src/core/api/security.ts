import type { IncomingMessage, ServerResponse } from 'node:http';
import cors from 'cors';
import type express from 'express';
import helmet, { type HelmetOptions } from 'helmet';
import type { ResponseHeaders } from './http-app';

/**
 * helmet for JSON answers, as OWASP's REST Security Cheat Sheet asks of an
 * API: nothing may load or frame it (`default-src 'none'; frame-ancestors
 * 'none'`, X-Frame-Options DENY), no MIME sniffing, HSTS, no referrer,
 * same-origin resource policy. helmet's headers that only concern HTML
 * documents (cross-origin opener policy, origin-agent cluster, DNS prefetch,
 * IE's download options, Flash/PDF cross-domain policies, the legacy XSS
 * auditor) are left to the documentation pages: on every JSON answer they
 * would cost bytes and header parsing on both sides and protect nothing.
 */
export const API_HELMET: HelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  xFrameOptions: { action: 'deny' },
  crossOriginOpenerPolicy: false,
  originAgentCluster: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
};

/**
 * helmet's full set for the HTML pages (/docs): their policy allows the
 * page's own scripts and styles. helmet's default `upgrade-insecure-requests`
 * is dropped: tandem serves plain HTTP (TLS ends in front of it, if
 * anywhere), and on a LAN address the browser would send the page's scripts
 * to https, where nothing answers, and show a blank page. Over https the
 * page's own URLs are https already, so nothing is lost there.
 */
const DOCS_HELMET: HelmetOptions = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      styleSrc: ["'self'", "'unsafe-inline'"],
      upgradeInsecureRequests: null,
    },
  },
};

/**
 * The headers helmet sets for our options, as alternating names and values,
 * computed once by running helmet itself against a recording response. With
 * these options (no CSP nonces) they do not depend on the request, and
 * writing them with the answer costs a fraction of helmet's chain of twelve
 * middlewares on every request.
 */
function helmetHeaders(options: HelmetOptions): string[] {
  const headers: string[] = [];
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers.push(name, Array.isArray(value) ? value.join(', ') : String(value));
    },
    removeHeader: () => undefined,
    getHeader: () => undefined,
  };
  let called = false;
  helmet(options)({ headers: {} } as IncomingMessage, recorder as unknown as ServerResponse, () => {
    called = true;
  });
  // Helmet calls next synchronously; if a future version did not, fail loudly rather than send no headers.
  if (!called) throw new Error('helmet did not finish synchronously; compute its headers per request instead.');
  return headers;
}

/** The security of the HTTP side: the headers of every answer, and the middleware that runs before the routes. */
export interface HttpSecurity {
  headers: ResponseHeaders;
  before: express.RequestHandler[];
}

/**
 * Security headers (helmet's) on every response: the API set on JSON
 * answers, the full set on the /docs pages. CORS for the configured browser
 * origins only; CORS concerns requests that carry an Origin header, the
 * others skip it.
 */
export function httpSecurity(corsOrigins: readonly string[]): HttpSecurity {
  const apiHeaders = helmetHeaders(API_HELMET);
  const docsHeaders = helmetHeaders(DOCS_HELMET);
  const corsMiddleware = cors({
    origin: corsOrigins.length === 0 ? false : [...corsOrigins],
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', 'traceparent', 'tracestate'],
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'traceresponse'],
    maxAge: 600,
  });
  return {
    headers: { api: apiHeaders, forPath: (path) => (path.startsWith('/docs') ? docsHeaders : apiHeaders) },
    before: [(req, res, next) => (req.headers.origin === undefined ? next() : corsMiddleware(req, res, next))],
  };
}
