import type express from 'express';
import { z } from 'zod';
import { AuthError, ServerError } from '../../exception';
import { buildAllowList, isAllowed } from '../config';
import type { HealthRegistry, HealthReport } from '../app/health';
import { prom } from '../monitor';
import { metricsText } from '../monitor/cluster-metrics';
import { defineRoute, type Route } from './route';

/** GET /health's report, as the OpenAPI document describes it (HealthReport in core/app/health.ts). */
const healthReportSchema = z
  .object({
    status: z.enum(['ok', 'degraded', 'down', 'draining']),
    version: z.string().optional().describe('The commit this release was built from, or "dev".'),
    release: z.string().optional().describe('The release\'s directory on the host, or "dev".'),
    checks: z.record(
      z.string(),
      z.object({
        ok: z.boolean(),
        required: z.boolean(),
        ms: z.number(),
        error: z.string().optional(),
        detail: z
          .record(z.string(), z.unknown())
          .optional()
          .describe("What the check shows beside ok: a sibling service's instances and their state."),
      }),
    ),
    migrations: z
      .object({
        code: z.string().nullable().describe("The code's last migration."),
        database: z.string().nullable().describe("The last of the code's migrations applied to the database."),
        pending: z.number().nullable().describe("The code's migrations the database lacks; null when unread."),
        error: z.string().optional(),
      })
      .optional()
      .describe("The database's migration level against the code's."),
  })
  .meta({ id: 'HealthReport' });

/** GET /ping (liveness, no I/O) and GET /health (readiness). */
export function systemRoutes(health: HealthRegistry, isDraining: () => boolean): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/ping',
      summary: 'Liveness: answers "pong" without touching any dependency.',
      tags: ['system'],
      permission: 'public',
      response: z.literal('pong'),
      usesDependencies: false,
      shed: false,
      handler: () => 'pong' as const,
    }),
    defineRoute({
      method: 'get',
      path: '/health',
      summary: 'Readiness: the state of each dependency; 503 when a required one is down or the process is draining.',
      tags: ['system'],
      permission: 'public',
      errors: ['SERVICE_UNAVAILABLE', 'SHUTTING_DOWN'],
      response: healthReportSchema,
      errorData: healthReportSchema,
      // Its checks' failures are its report, not an error of its own.
      usesDependencies: false,
      // A busy host is still a live one: the balancer must not pull it for shedding.
      shed: false,
      handler: async (): Promise<HealthReport> => {
        const report = await health.report(isDraining());
        if (report.status === 'draining') throw new HealthFailure('SHUTTING_DOWN', report);
        if (report.status === 'down') throw new HealthFailure('SERVICE_UNAVAILABLE', report);
        return report;
      },
    }),
  ];
}

/** A failed readiness check: the envelope's `data` carries the report for the engineer on call. */
export class HealthFailure extends ServerError {
  override readonly data: HealthReport;

  constructor(name: 'SHUTTING_DOWN' | 'SERVICE_UNAVAILABLE', report: HealthReport) {
    super(name);
    this.data = report;
  }
}

/**
 * GET /metrics in the Prometheus text format, for clients in
 * `allowedNetworks` only (all when empty); others get 403. The client is the
 * request's resolved address (http.trust_proxy applied), so a public proxy in
 * an allowed network does not open it to the proxy's own clients.
 */
export function mountMetrics(app: express.Express, allowedNetworks: readonly string[] = []): void {
  const allowList = buildAllowList(allowedNetworks);
  app.get('/metrics', (req, res, next) => {
    if (!isAllowed(allowList, req.tandem?.clientAddress ?? req.socket.remoteAddress)) {
      next(new AuthError('AUTH_CLIENT_NOT_ALLOWED'));
      return;
    }
    metricsText()
      .then((text) => {
        res.setHeader('Content-Type', prom.registry.contentType);
        res.end(text);
      })
      .catch(next);
  });
}
