import { z } from 'zod';
import { csSection, riskSection } from './domains-schema';
import { authSection, httpSection, metricsSection } from './http-schema';
import { jobsSection, queueSection, schedulerSection } from './jobs-schema';
import { logSection, serverSection, statsdSection, traceSection } from './process-schema';
import { RISKS } from './safety';
import { mongoSection, mysqlSection, redisSection } from './storage-schema';
import { thirdpartySchema } from './thirdparty-schema';
import { thriftSection } from './thrift-schema';

/**
 * The one configuration schema. Every key has a type, a default where one is
 * safe, and a line of doc (`describe`). Its environment variable is derived
 * from its path: `http.port` -> `TANDEM_HTTP_PORT`.
 *
 * `config.example.ts` documents the same keys for people; a unit test checks
 * that it names every key declared here. The sections are declared in the
 * `*-schema.ts` files beside this one, per part of the service.
 */

export const configSchema = z
  .object({
    env: z.enum(['dev', 'test', 'prod']).default('dev').describe('Which environment this is.'),
    accept_risks: z
      .array(z.enum(RISKS))
      .default([])
      .describe(
        'Known-unsafe prod settings to run with anyway: mysql_root, mysql_no_password, metrics_open, thrift_open.',
      ),
    service_name: z.string().min(1).default('tandem').describe('Name in logs, metrics and outgoing calls.'),
    http: httpSection,
    auth: authSection,
    metrics: metricsSection,
    thrift: thriftSection,
    server: serverSection,
    log: logSection,
    trace: traceSection,
    statsd: statsdSection,
    mysql: mysqlSection,
    redis: redisSection,
    queue: queueSection,
    scheduler: schedulerSection,
    jobs: jobsSection,
    cs: csSection,
    thirdparty: thirdpartySchema.describe('Sibling services called over Thrift, one section per service name.'),
    risk: riskSection,
    mongo: mongoSection,
  })
  .strict()
  .superRefine((config, ctx) => {
    // A host without the HTTP door still needs /health for its balancer and the deploy's health gate.
    if (!config.http.enabled && config.metrics.port === null) {
      ctx.addIssue({
        code: 'custom',
        path: ['metrics', 'port'],
        message:
          'must be set when http.enabled is false: /ping, /health and /metrics are then served on the metrics port',
      });
    }
  });

export type Config = z.infer<typeof configSchema>;

/**
 * What a config file may hold: any subset of the keys. `zeus` is the former
 * shape of `thirdparty.zeus` (one host and port), still read with a warning.
 */
export type ConfigInput = z.input<typeof configSchema> & {
  /** @deprecated Write thirdparty.zeus (instances: ['host:port']) instead. */
  zeus?: Record<string, unknown>;
};
