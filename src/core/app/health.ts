import { currentRelease, type ReleaseInfo } from '../monitor/release';
import type { SchemaLevel } from './schema-level';

/** One dependency the process can check: MySQL, Redis, a sibling service. */
export interface HealthCheck {
  name: string;
  /** A required dependency being down makes the process not ready (503). */
  required: boolean;
  /** Resolves (with what the report shows of it, if anything) when up; rejects when down. */
  check: () => Promise<void | HealthDetail>;
}

/** What a check shows beside ok: a sibling service's instances and their state. */
export type HealthDetail = Record<string, unknown>;

/** A check that failed, with what the report shows of it (which instances are out, and why). */
export class HealthCheckError extends Error {
  readonly detail: HealthDetail;

  constructor(message: string, detail: HealthDetail) {
    super(message);
    this.name = 'HealthCheckError';
    this.detail = detail;
  }
}

export interface HealthReport extends ReleaseInfo {
  status: 'ok' | 'degraded' | 'down' | 'draining';
  checks: Record<string, { ok: boolean; required: boolean; ms: number; error?: string; detail?: HealthDetail }>;
  /** The database's migration against the code's, where the process has a schema. */
  migrations?: SchemaLevel;
}

const CHECK_TIMEOUT_MS = 1000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** The dependencies of this process, checked in parallel for GET /health. */
export class HealthRegistry {
  private readonly checks: HealthCheck[] = [];
  private schema: (() => Promise<SchemaLevel>) | undefined;

  add(check: HealthCheck): void {
    this.checks.push(check);
  }

  /** How to read the migration level the report carries. */
  setSchema(read: () => Promise<SchemaLevel>): void {
    this.schema = read;
  }

  async report(draining: boolean): Promise<HealthReport> {
    const schema = this.schema?.();
    const results = await Promise.all(
      this.checks.map(async (c) => {
        const started = performance.now();
        try {
          const detail = await withTimeout(c.check(), CHECK_TIMEOUT_MS);
          const ms = Math.round(performance.now() - started);
          return [c, { ok: true, required: c.required, ms, ...(detail ? { detail } : {}) }] as const;
        } catch (err) {
          // The message of a driver error names the host and port only, never credentials.
          const error = err instanceof Error ? err.message : String(err);
          const ms = Math.round(performance.now() - started);
          const detail = err instanceof HealthCheckError ? { detail: err.detail } : {};
          return [c, { ok: false, required: c.required, ms, error, ...detail }] as const;
        }
      }),
    );
    const checks: HealthReport['checks'] = {};
    for (const [c, result] of results) checks[c.name] = result;
    const requiredDown = results.some(([c, r]) => c.required && !r.ok);
    const anyDown = results.some(([, r]) => !r.ok);
    const status = draining ? 'draining' : requiredDown ? 'down' : anyDown ? 'degraded' : 'ok';
    // The release lets a deploy wait for this host to serve the new version, not just any answer.
    const migrations = schema ? await schema : undefined;
    return { status, ...currentRelease(), checks, ...(migrations ? { migrations } : {}) };
  }
}
