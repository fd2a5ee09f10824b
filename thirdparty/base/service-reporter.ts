import { performance } from 'node:perf_hooks';
import { logger } from '../../src/core/log';
import { metricSegment, statsd } from '../../src/core/monitor';
import { thirdPartyBreaker, thirdPartyCall } from '../../src/core/monitor/dependency-metrics';
import { ThirdPartyError } from '../../src/exception';
import type { InstanceEvent, ServiceInstance } from './service-instance';
import { causeText, outcomeOf, type CallOutcome } from './third-party-errors';

/** Where metrics go; the process's statsd unless a test gives another. */
export interface MetricsSink {
  timing(name: string, ms: number): void;
  increment(name: string, value?: number): void;
  gauge(name: string, value: number): void;
}

/**
 * The logs and metrics of one service's client. A failing service is said
 * once: the first call that finds it down is logged, the rest only counted,
 * until a call gets an answer. Instances ejected, returned or with their
 * breaker open are logged per instance.
 *
 * statsd: timing `thirdparty.<service>.<method>.<outcome>`, counters
 * `thirdparty.<service>.errors.<outcome>`, `thirdparty.<service>.<method>.retry`,
 * `thirdparty.<service>.retry_budget_exhausted`,
 * `thirdparty.<service>.instance.<ejected|returned>`,
 * `thirdparty.<service>.breaker.<open|half_open|close|rejected>`.
 */
export class ServiceReporter {
  readonly metrics: MetricsSink;
  private readonly service: string;
  private readonly hint: string | undefined;
  /** `thirdparty.<service>`, the root of every metric of this client. */
  private readonly root: string;
  private readonly methodMetrics = new Map<string, string>();
  /** Set while no instance answers: since when, and how many calls failed meanwhile. */
  private unreachable: { since: number; calls: number; breakerOpenSaid: boolean } | undefined;

  constructor(service: string, metrics: MetricsSink | undefined, hint: string | undefined) {
    this.service = service;
    this.hint = hint;
    this.metrics = metrics ?? statsd;
    this.root = `thirdparty.${metricSegment(service)}`;
  }

  /** A call got an answer (a result or a remote error): if the service was down, say once that it is back. */
  answered(address: string): void {
    const down = this.unreachable;
    if (down === undefined) return;
    this.unreachable = undefined;
    logger.info(`${this.service} answers again at ${address}.`, {
      service: this.service,
      down_for_ms: Date.now() - down.since,
      failed_calls: down.calls,
    });
  }

  ok(method: string, started: number, address: string): void {
    this.record(method, 'ok', started);
    this.answered(address);
  }

  retry(method: string, attempt: number, err: Error, from: string): void {
    this.metrics.increment(`${this.methodMetric(method)}.retry`);
    if (this.unreachable === undefined)
      logger.debug(`Retrying ${this.service}.${method} on another instance: ${err.message}`, {
        service: this.service,
        method,
        attempt,
        instance: from,
      });
  }

  budgetSpent(method: string): void {
    this.metrics.increment(`${this.root}.retry_budget_exhausted`);
    if (this.unreachable === undefined)
      logger.debug(`${this.service}.${method} is not retried: the retry budget is spent.`, {
        service: this.service,
        method,
      });
  }

  failed(method: string, err: Error, attempts: number, started: number, addresses: readonly string[]): void {
    const outcome = outcomeOf(err);
    this.record(method, outcome, started);
    this.metrics.increment(`${this.root}.errors.${outcome}`);
    if (outcome === 'remote_error') this.answered(addresses[addresses.length - 1] ?? '');
    if (outcome === 'timeout' || outcome === 'unavailable' || outcome === 'circuit_open') {
      if (this.unreachable !== undefined) {
        // Known to be down and said so: a caller that keeps trying (a timed job) writes no line per call.
        this.unreachable.calls += 1;
        return;
      }
      // Fast failures are counted, not logged one by one: the breaker logs when it opens.
      if (outcome === 'circuit_open') return;
      this.unreachable = { since: Date.now(), calls: 1, breakerOpenSaid: false };
    }
    const fields = {
      service: this.service,
      method,
      attempts,
      instances: addresses,
      code: err instanceof ThirdPartyError ? err.code : undefined,
      cause: causeText(err.cause),
    };
    if (outcome === 'error') {
      const cause = err.cause instanceof Error ? err.cause : err;
      logger.error(`The call ${this.service}.${method} could not be made: this is a bug on our side.`, {
        ...fields,
        stack: cause.stack,
      });
    } else if (this.unreachable !== undefined) {
      logger.warn(
        `${this.service} does not answer at ${addresses.join(', ')} (${this.service}.${method} failed after ${attempts} attempt(s): ${err.message})` +
          `${this.hint ? ` ${this.hint}` : ''} Further failures are counted, not logged, until it answers again.`,
        fields,
      );
    } else {
      logger.warn(`The call ${this.service}.${method} failed after ${attempts} attempt(s): ${err.message}`, fields);
    }
  }

  /** An instance's standing changed. */
  instanceEvent<C>(instance: ServiceInstance<C>, event: InstanceEvent, resetMs: number): void {
    const fields = { service: this.service, instance: instance.address };
    const at = `${this.service} at ${instance.address}`;
    if (event.kind === 'added') {
      thirdPartyBreaker(this.service, instance.address, 'closed', true);
      return;
    }
    if (event.kind === 'ejected') {
      this.metrics.increment(`${this.root}.instance.ejected`);
      // While the whole service is down and said so, its instances' ejections are only counted.
      if (this.unreachable) return;
      logger.warn(
        `${at} failed ${event.failures} call(s) in a row and gets no calls for ${event.forMs} ms; then one call probes it.`,
        { ...fields, eject_ms: event.forMs },
      );
      return;
    }
    if (event.kind === 'returned') {
      this.metrics.increment(`${this.root}.instance.returned`);
      logger.log(
        this.unreachable ? 'debug' : 'info',
        `${at} answered its probe and is back in rotation after ${event.ejectedMs} ms.`,
        {
          ...fields,
          ejected_ms: event.ejectedMs,
        },
      );
      return;
    }
    this.metrics.increment(`${this.root}.breaker.${event.state}`);
    if (event.state !== 'rejected')
      thirdPartyBreaker(this.service, instance.address, event.state === 'close' ? 'closed' : event.state);
    if (event.state === 'open') {
      // During an outage already logged, the first opening is said once; later cycles are debug lines.
      const down = this.unreachable;
      const level = down?.breakerOpenSaid ? 'debug' : 'warn';
      if (down) down.breakerOpenSaid = true;
      logger.log(
        level,
        `${at} is failing: calls to it now fail fast, and in ${resetMs} ms one call will probe whether it is back.`,
        fields,
      );
    } else if (event.state === 'half_open') {
      logger.log(this.unreachable ? 'debug' : 'info', `Probing whether ${at} is back with the next call.`, fields);
    } else if (event.state === 'close') {
      logger.log(this.unreachable ? 'debug' : 'info', `${at} answered the probe; calls to it resume.`, fields);
    }
  }

  /** Gauges of the pools, summed over the instances. */
  pools(open: number, busy: number): void {
    this.metrics.gauge(`${this.root}.pool.open`, open);
    this.metrics.gauge(`${this.root}.pool.busy`, busy);
  }

  private record(method: string, outcome: CallOutcome, started: number): void {
    const ms = performance.now() - started;
    this.metrics.timing(`${this.methodMetric(method)}.${outcome}`, ms);
    thirdPartyCall(this.service, method, outcome, ms / 1000);
  }

  /** `thirdparty.<service>.<method>`, built once per method. */
  private methodMetric(method: string): string {
    let base = this.methodMetrics.get(method);
    if (base === undefined) {
      base = `${this.root}.${metricSegment(method)}`;
      this.methodMetrics.set(method, base);
    }
    return base;
  }
}
