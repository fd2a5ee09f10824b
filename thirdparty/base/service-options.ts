import { type Config, parseHostPort, type ServiceConfig } from '../../src/core/config';
import type { InstanceSource, Resolver } from './instance-set';
import type { MetricsSink } from './service-reporter';
import type { ThriftServiceOptions } from './thrift-service-client';

export type { ServiceConfig };

/** What a typed client may add to a service's configuration. */
export interface ServiceExtras {
  metrics?: MetricsSink;
  /** Said once when the service stops answering. */
  unreachableHint?: string;
  resolver?: Resolver;
  /** Our name in a THeader call's headers (the service_name of the config). */
  callerName?: string;
}

/** Where the service's instances come from: its dns name when set, else its list. */
export function instanceSource(section: ServiceConfig, name: string): InstanceSource {
  if (section.dns !== '') {
    const { host, port } = parseHostPort(section.dns, `thirdparty.${name}.dns`);
    return { kind: 'dns', name: host, port, refreshMs: section.dns_refresh_ms };
  }
  return {
    kind: 'static',
    addresses: section.instances.map((entry, i) => parseHostPort(entry, `thirdparty.${name}.instances[${i}]`)),
  };
}

/**
 * The options of `ThriftServiceClient` for the service configured under
 * `thirdparty.<name>`: how a typed client (zeus's, or the next one) gets its
 * instances, deadlines, pool, retry budget, breaker and ejection settings
 * without plumbing of its own. Throws when the section is missing, naming it.
 */
export function serviceOptions(
  config: Pick<Config, 'thirdparty'>,
  name: string,
  extras: ServiceExtras = {},
): ThriftServiceOptions {
  const section: ServiceConfig | undefined = config.thirdparty[name];
  if (section === undefined) {
    throw new Error(
      `The sibling service ${name} is not configured: add a thirdparty.${name} section with its instances to config.ts (see docs/thirdparty.md).`,
    );
  }
  return {
    service: name,
    instances: instanceSource(section, name),
    timeoutMs: section.timeout_ms,
    poolSize: section.pool_size,
    idleMs: section.idle_ms,
    retries: section.retries,
    retryBackoffMs: section.retry_backoff_ms,
    retryBudget: { percent: section.retry_budget_percent, minPerSecond: section.retry_budget_min_per_second },
    breaker: {
      errorPercent: section.breaker_error_percent,
      volume: section.breaker_volume,
      resetMs: section.breaker_reset_ms,
    },
    transport: section.transport,
    ejection: {
      afterFailures: section.eject_after_failures,
      baseMs: section.eject_base_ms,
      maxMs: section.eject_max_ms,
    },
    ...extras,
  };
}
