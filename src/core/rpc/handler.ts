import thrift from 'thrift';
import { asTandemError, type TandemError } from '../../exception';
import { elapsedMs, newContext, type RequestContext, runWithContext } from '../ctx';
import { logAccess, logger } from '../log';
import { prom, statsd } from '../monitor';
import { type ConnectionState, currentConnection } from './connection-state';
import type { InFlight } from './in-flight';

export interface WrapOptions {
  /** Turns one of our errors into the IDL exception the caller sees. */
  toIdlException: (err: TandemError) => Error;
  inFlight: InFlight;
  accessLog: boolean;
}

/** A Thrift handler: every method returns a promise (or a value). */
export type ThriftHandler = Record<string, (...args: never[]) => unknown>;

const INTERNAL_MESSAGE = 'Internal error';

/** The statsd name and Prometheus series of one method and outcome. */
interface OutcomeMetrics {
  statsdName: string;
  duration: { observe: (seconds: number) => void };
}

/** Per method: its metrics by outcome (`ok` or an error kind), built on first use. */
function outcomeMetrics(method: string): (outcome: string) => OutcomeMetrics {
  const byOutcome = new Map<string, OutcomeMetrics>();
  return (outcome) => {
    let metrics = byOutcome.get(outcome);
    if (!metrics) {
      metrics = { statsdName: `thrift.${method}.${outcome}`, duration: prom.thriftDuration.labels(method, outcome) };
      byOutcome.set(outcome, metrics);
    }
    return metrics;
  };
}

/** The exception for anything the IDL does not declare: no internals in its message. */
function internalError(): Error {
  const type = thrift.Thrift.TApplicationExceptionType.INTERNAL_ERROR;
  const err = new thrift.Thrift.TApplicationException(type, INTERNAL_MESSAGE);
  // thrift 0.24's TApplicationException.write() sends `this.code`, not the `type` its constructor
  // sets: without this the caller would read the type as UNKNOWN (0).
  err.code = type;
  return err;
}

/**
 * Wraps each method of a handler: a request context per call, the in-flight
 * count for shutdown, an access line and metrics per call, and the mapping
 * of our errors to IDL exceptions. A method that throws synchronously still
 * answers its caller, because the wrapper always returns a promise.
 *
 * The wrapper keeps each method's arity: the generated processor uses the
 * promise style only when `fn.length` equals the number of IDL arguments.
 */
export function wrapHandler<H extends object>(impl: H, options: WrapOptions): H {
  const wrapped: Record<string, unknown> = {};
  const target = impl as unknown as Record<string, unknown>;
  const names = new Set<string>();
  for (
    let proto: object | null = impl;
    proto && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name !== 'constructor' && typeof target[name] === 'function') names.add(name);
    }
  }
  for (const method of names) {
    const fn = target[method] as (...args: unknown[]) => unknown;
    const metricsOf = outcomeMetrics(method);
    const invoke = async (
      ctx: RequestContext,
      connection: ConnectionState | undefined,
      args: unknown[],
    ): Promise<unknown> => {
      options.inFlight.enter();
      prom.inFlightNow.thrift += 1;
      let outcome = 'ok';
      let code: number | undefined;
      try {
        return await fn.apply(impl, args);
      } catch (raw) {
        const err = asTandemError(raw);
        outcome = err.kind;
        code = err.code;
        prom.errorsTotal.inc({ protocol: 'thrift', kind: err.kind });
        if (err.kind === 'DevError' || err.kind === 'ServerError') {
          const cause = err.cause instanceof Error ? err.cause : err;
          logger.error('thrift call failed', {
            method,
            kind: err.kind,
            code: err.code,
            error: cause.message,
            stack: cause.stack,
          });
        }
        throw err.kind === 'DevError' ? internalError() : options.toIdlException(err);
      } finally {
        const ms = elapsedMs(ctx);
        options.inFlight.leave();
        prom.inFlightNow.thrift -= 1;
        const metrics = metricsOf(outcome);
        statsd.timing(metrics.statsdName, ms);
        metrics.duration.observe(ms / 1000);
        if (options.accessLog) {
          logAccess('thrift access', {
            request_id: ctx.requestId,
            // hello() names the caller during its own call: read it back from the connection.
            caller: ctx.caller ?? connection?.caller,
            method,
            outcome,
            code,
            duration_ms: Math.round(ms * 100) / 100,
          });
        }
      }
    };
    // invoke is async: even a method that throws synchronously answers its caller.
    const call = (...args: unknown[]): Promise<unknown> => {
      const connection = currentConnection();
      const ctx = newContext('thrift', undefined, connection?.caller);
      ctx.clientAddress = connection?.peer;
      return runWithContext(ctx, () => invoke(ctx, connection, args));
    };
    Object.defineProperty(call, 'length', { value: fn.length });
    Object.defineProperty(call, 'name', { value: method });
    wrapped[method] = call;
  }
  return wrapped as H;
}
