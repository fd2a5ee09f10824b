import thrift from 'thrift';
import { asTandemError, type TandemError } from '../../exception';
import { elapsedMs, newContext, type RequestContext, runWithContext } from '../ctx';
import { logAccess, logger } from '../log';
import { prom, statsd } from '../monitor';
import { processingConnection } from './connection-state';
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

/** How the generated processor's callback style takes an answer: `null` and the result, or the exception. */
type Reply = (err: Error | null, result?: unknown) => void;

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Wraps each method of a handler: a request context per call, the in-flight
 * count for shutdown, an access line and metrics per call, and the mapping
 * of our errors to IDL exceptions. A method that throws synchronously still
 * answers its caller.
 *
 * The wrapper takes the generated processor's callback style (one argument
 * more than the IDL's; the processor checks `fn.length`): a method that
 * returns a plain value is answered in the same tick, and one that returns a
 * promise costs one `then`. The promise style would cost each call four or
 * five promises (the processor's Promise.resolve, then and catch, the
 * wrapper's async function and its await), each of which AsyncLocalStorage
 * tracks.
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

    /** Answers the caller, then records the call; `failure` is what the method threw, if it did. */
    const settle = (ctx: RequestContext, reply: Reply, result: unknown, failure?: { raw: unknown }): void => {
      const ms = elapsedMs(ctx);
      options.inFlight.leave();
      prom.inFlightNow.thrift -= 1;
      let outcome = 'ok';
      let code: number | undefined;
      let answer: Error | null = null;
      if (failure) {
        const err = asTandemError(failure.raw);
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
        answer = err.kind === 'DevError' ? internalError() : options.toIdlException(err);
      }
      try {
        reply(answer, result);
      } catch (writeErr) {
        // The result could not be encoded (the writer starts each message afresh): answer INTERNAL_ERROR.
        outcome = 'DevError';
        prom.errorsTotal.inc({ protocol: 'thrift', kind: 'DevError' });
        logger.error('thrift reply could not be written', {
          method,
          error: writeErr instanceof Error ? writeErr.message : String(writeErr),
          stack: writeErr instanceof Error ? writeErr.stack : undefined,
        });
        try {
          reply(internalError());
        } catch {
          // Nothing more can be written on this connection; the failure is logged above.
        }
      }
      const metrics = metricsOf(outcome);
      statsd.timing(metrics.statsdName, ms);
      metrics.duration.observe(ms / 1000);
      if (options.accessLog) {
        logAccess('thrift access', {
          request_id: ctx.requestId,
          caller: ctx.caller ?? ctx.connection?.caller,
          method,
          outcome,
          code,
          duration_ms: Math.round(ms * 100) / 100,
        });
      }
    };

    const invoke = (ctx: RequestContext, args: unknown[], reply: Reply): void => {
      options.inFlight.enter();
      prom.inFlightNow.thrift += 1;
      let result: unknown;
      try {
        result = fn.apply(impl, args);
      } catch (raw) {
        settle(ctx, reply, undefined, { raw });
        return;
      }
      if (!isPromiseLike(result)) {
        settle(ctx, reply, result);
        return;
      }
      result.then(
        (value) => settle(ctx, reply, value),
        (raw: unknown) => settle(ctx, reply, undefined, { raw }),
      );
    };

    const call = (...params: unknown[]): void => {
      const reply = params.pop() as Reply;
      const connection = processingConnection();
      const ctx = newContext('thrift', undefined, connection?.caller);
      ctx.clientAddress = connection?.peer;
      ctx.connection = connection;
      runWithContext(ctx, () => invoke(ctx, params, reply));
    };
    Object.defineProperty(call, 'length', { value: fn.length + 1 });
    Object.defineProperty(call, 'name', { value: method });
    wrapped[method] = call;
  }
  return wrapped as H;
}
