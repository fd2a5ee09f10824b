import { HealthCheckError, type HealthCheck } from '../../src/core/app/health';
import type { InstanceView } from './thrift-service-client';

/** What a sibling-service client shows of its instances. */
export interface InstancesView {
  readonly service: string;
  instances(): InstanceView[];
}

/** Which states take calls: in rotation, or on probation (the one probe of an ejected or open instance). */
const TAKES_CALLS = new Set(['up', 'probing', 'half_open']);

/**
 * The /health check of a sibling service, from the client's own view: its
 * instances with their state (up, ejected, probing, open, half_open), calls
 * in flight and average latency; down when none takes calls. It sends no
 * call: the state is what the calls the process made have shown. Not
 * required: without zeus only the calls that need it fail, so a host stays
 * in its balancer (the report says `degraded`).
 */
export function serviceHealthCheck(client: InstancesView): HealthCheck {
  return {
    name: client.service,
    required: false,
    check: () => {
      const instances = client.instances().map((i) => ({
        address: i.address,
        state: i.state,
        in_flight: i.inFlight,
        ewma_ms: i.ewmaMs,
      }));
      if (instances.some((i) => TAKES_CALLS.has(i.state))) return Promise.resolve({ instances });
      const states = instances.map((i) => `${i.address} ${i.state}`).join(', ') || 'none known';
      return Promise.reject(
        new HealthCheckError(`no instance of ${client.service} takes calls (${states})`, { instances }),
      );
    },
  };
}
