import { Counter } from 'prom-client';
import { logger } from '.';
import { statsd } from '../monitor';
import { registry } from '../monitor/prometheus';

/** The dependencies whose outages are logged as one story: down, still down, back. */
export type Dependency = 'mysql' | 'redis' | 'mongodb';

/**
 * The dependency a ServerError code says is out of reach (its block in
 * error_code.ts), if any. MySQL's 200 (DATABASE_ERROR: a statement the
 * database rejected, a missing table) is not an outage but a bug, logged
 * per request with its stack.
 */
export function dependencyOfCode(code: number): Dependency | undefined {
  if (code > 200 && code < 300) return 'mysql';
  if (code >= 300 && code < 400) return 'redis';
  if (code >= 400 && code < 500) return 'mongodb';
  return undefined;
}

const failedRequests = new Counter({
  name: 'tandem_dependency_failed_requests_total',
  help: 'Requests and calls answered with an error because a dependency (mysql, redis, mongodb) failed.',
  labelNames: ['dependency'] as const,
  registers: [registry],
});

interface State {
  downSince: number;
  lastLine: number;
  failedTotal: number;
  failedSinceLine: number;
}

/**
 * The log of dependency outages: one error line when a dependency goes down,
 * a warning every `reminderMs` while it stays down (with the requests failed
 * since the last line), one info line when it is back. Each request that
 * fails because of it is counted (statsd and Prometheus), never logged: an
 * outage under load writes a handful of lines, not one per request.
 */
export class OutageLog {
  private readonly states = new Map<Dependency, State>();
  private readonly notOutages = new Map<Dependency, (error: unknown) => boolean>();

  constructor(private reminderMs = 30_000) {}

  /** Changes the reminder interval (tests and the fault suite shorten it). */
  setReminderMs(ms: number): void {
    this.reminderMs = ms;
  }

  isDown(dependency: Dependency): boolean {
    return this.states.has(dependency);
  }

  /** The dependency failed (a command, a connection, a probe): logs it the first time, reminds while it lasts. */
  down(dependency: Dependency, error: unknown): void {
    const now = Date.now();
    const state = this.states.get(dependency);
    const message = error instanceof Error ? error.message : String(error);
    if (!state) {
      this.states.set(dependency, { downSince: now, lastLine: now, failedTotal: 0, failedSinceLine: 0 });
      logger.error(`${dependency} is down; what needs it answers 503 until it is back`, { dependency, error: message });
      return;
    }
    if (now - state.lastLine < this.reminderMs) return;
    logger.warn(`${dependency} is still down`, {
      dependency,
      down_for_ms: now - state.downSince,
      failed_requests: state.failedSinceLine,
      error: message,
    });
    state.lastLine = now;
    state.failedSinceLine = 0;
  }

  /**
   * Failures of a dependency that fail their request but do not mean it is
   * down (a statement the database ended at its time limit): counted as
   * failed requests, never logged or noted as an outage.
   */
  notAnOutage(dependency: Dependency, matches: (error: unknown) => boolean): void {
    this.notOutages.set(dependency, matches);
  }

  /** A request or call failed because of the dependency: counted, and the outage noted. */
  requestFailed(dependency: Dependency, error: unknown): void {
    failedRequests.inc({ dependency });
    statsd.increment(`dependency.${dependency}.failed_requests`);
    if (this.notOutages.get(dependency)?.(error)) return;
    this.down(dependency, error);
    const state = this.states.get(dependency);
    if (state) {
      state.failedTotal += 1;
      state.failedSinceLine += 1;
    }
  }

  /** The dependency answered again: one line if it had been down. Cheap when it was not. */
  up(dependency: Dependency): void {
    const state = this.states.get(dependency);
    if (!state) return;
    this.states.delete(dependency);
    logger.info(`${dependency} is back`, {
      dependency,
      down_for_ms: Date.now() - state.downSince,
      failed_requests: state.failedTotal,
    });
  }
}

/** The process's outage log. */
export const outages = new OutageLog();
