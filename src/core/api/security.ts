import cors from 'cors';
import type express from 'express';
import helmet from 'helmet';

/**
 * Security headers (helmet) and CORS for the configured browser origins only.
 * The API answers JSON, so the content security policy only has to allow the
 * /docs page's own scripts and styles.
 */
export function httpSecurity(corsOrigins: readonly string[]): express.RequestHandler[] {
  return [
    helmet({
      contentSecurityPolicy: {
        directives: { defaultSrc: ["'self'"], imgSrc: ["'self'", 'data:'], styleSrc: ["'self'", "'unsafe-inline'"] },
      },
    }),
    cors({
      origin: corsOrigins.length === 0 ? false : [...corsOrigins],
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id', 'traceparent'],
      exposedHeaders: ['X-Request-Id', 'Retry-After'],
      maxAge: 600,
    }),
  ];
}
