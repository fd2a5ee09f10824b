import thrift from 'thrift';
import { isPromiseLike } from '../async';
import type { TandemError } from '../../exception';
import { elapsedMs, newContext, type RequestContext, runWithContext } from '../ctx';
import { logger } from '../log';
import { type Admission, closeExchange, openExchange, OperationMetrics, recordFailure } from '../pipeline';
import { prom } from '../monitor';
import { endThriftSpan, traceThriftCall } from '../trace';
import { callerName, processingConnection } from './connection-state';
import type { InFlight } from './in-flight';
import { methodNames } from './methods';

export interface WrapOptions {
  /** Turns one of our errors into the IDL exception the caller sees. */
  toIdlException: (err: TandemError) => Error;
  inFlight: InFlight;
  accessLog: boolean;
  /**
   * The door's admission (core/pipeline/admission.ts): a call past the
   * door's or its caller's limit, or made while the event loop lags, is
   * answered ServerException OVERLOADED (102) before the method runs. ping
   * and hello are never shed. None: every call is served.
   */
  admission?: Admission;
  /** Each call's deadline (thrift.call_deadline_ms) for what it calls in turn; 0 or absent: none. */
  callDeadlineMs?: number;
}

/** The health check and the caller's introduction answer whatever the load. */
const NEVER_SHED: ReadonlySet<string> = new Set(['ping', 'hello']);

const INTERNAL_MESSAGE = 'Internal error';

/** The Thrift door's naming of an exchange's metrics: a statsd timing and a Prometheus series per method and outcome. */
function methodMetrics(method: string): OperationMetrics {
  return new OperationMetrics((outcome) => ({
    statsdName: `thrift.${method}.${outcome}`,
    duration: prom.thriftDuration.labels(method, outcome),
  }));
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
  for (const method of methodNames(impl)) {
    const fn = target[method] as (...args: unknown[]) => unknown;
    const metrics = methodMetrics(method);

    /** What the caller is told for what the method threw; logged and counted by the pipeline's one policy. */
    const answerFor = (ctx: RequestContext, raw: unknown): { answer: Error; outcome: string; code: number } => {
      const err = recordFailure(raw, { door: 'thrift', requestId: ctx.requestId, operation: method });
      const answer = err.kind === 'DevError' ? internalError() : options.toIdlException(err);
      return { answer, outcome: err.kind, code: err.code };
    };

    /** Closes one call's exchange: its span, metrics and access line. */
    const record = (ctx: RequestContext, ms: number, outcome: string, code: number | undefined): void => {
      endThriftSpan(ctx, outcome, code);
      const fields = options.accessLog ? { method, outcome, code } : undefined;
      closeExchange('thrift', ctx, ms, metrics.of(outcome), ctx.caller ?? ctx.connection?.caller, fields);
    };

    /**
     * Answers the caller, then records the call; `failure` is what the method
     * threw, if it did. It never throws: it runs from a promise's callbacks,
     * where a throw would be an unhandled rejection and the caller would get
     * no answer.
     */
    const settle = (
      ctx: RequestContext,
      reply: Reply,
      result: unknown,
      failure: { raw: unknown } | undefined,
      release: (() => void) | undefined,
    ): void => {
      const ms = elapsedMs(ctx);
      let outcome = 'ok';
      let code: number | undefined;
      try {
        let answer: Error | null = null;
        if (failure) ({ answer, outcome, code } = answerFor(ctx, failure.raw));
        reply(answer, result);
      } catch (err) {
        // Mapping the error or encoding the reply failed (each reply starts with nothing pending): INTERNAL_ERROR.
        outcome = 'DevError';
        code = undefined;
        try {
          prom.errorsTotal.inc({ protocol: 'thrift', kind: 'DevError' });
          logger.error('thrift reply could not be written', {
            method,
            error: err instanceof Error ? err.message : String(err),
            stack: err instanceof Error ? err.stack : undefined,
          });
          reply(internalError());
        } catch {
          // Nothing more can be written on this connection.
        }
      } finally {
        options.inFlight.leave();
        release?.();
      }
      try {
        record(ctx, ms, outcome, code);
      } catch {
        // Monitoring never fails a call (statsd and the log sink handle their own outages).
      }
    };

    /** Runs the method, or answers at once with `refused` (a shed call), through the same accounting. */
    const invoke = (
      ctx: RequestContext,
      args: unknown[],
      reply: Reply,
      refused: Error | undefined,
      release: (() => void) | undefined,
    ): void => {
      options.inFlight.enter();
      openExchange('thrift');
      if (refused) {
        settle(ctx, reply, undefined, { raw: refused }, release);
        return;
      }
      let result: unknown;
      try {
        result = fn.apply(impl, args);
      } catch (raw) {
        settle(ctx, reply, undefined, { raw }, release);
        return;
      }
      if (!isPromiseLike(result)) {
        settle(ctx, reply, result, undefined, release);
        return;
      }
      result.then(
        (value) => settle(ctx, reply, value, undefined, release),
        (raw: unknown) => settle(ctx, reply, undefined, { raw }, release),
      );
    };

    const admission = NEVER_SHED.has(method) ? undefined : options.admission;
    const run = (args: unknown[], reply: Reply): void => {
      const connection = processingConnection();
      const ctx = newContext('thrift', connection?.requestId, callerName(connection));
      ctx.clientAddress = connection?.peer;
      ctx.connection = connection;
      if (options.callDeadlineMs) ctx.deadlineAt = Date.now() + options.callDeadlineMs;
      if (!admission) {
        traceThriftCall(method, ctx, connection ?? {}, () =>
          runWithContext(ctx, () => invoke(ctx, args, reply, undefined, undefined)),
        );
        return;
      }
      // A caller is counted by the name thrift.callers knows it by, else by its address.
      const caller = ctx.caller ?? `address ${connection?.peer ?? 'unknown'}`;
      const refused = admission.admit(caller);
      const release = refused ? undefined : () => admission.release(caller);
      traceThriftCall(method, ctx, connection ?? {}, () =>
        runWithContext(ctx, () => invoke(ctx, args, reply, refused, release)),
      );
    };

    // The processor passes a callback after the IDL's arguments when this wrapper declares more
    // parameters than the IDL has. A method that declares fewer than the IDL (a default, a rest, an
    // ignored argument) leaves the wrapper at the IDL's count: the processor then uses its promise
    // style and passes no callback, and the call is answered through a promise instead.
    const call = (...params: unknown[]): Promise<unknown> | undefined => {
      const last = params[params.length - 1];
      if (typeof last === 'function') {
        params.pop();
        run(params, last as Reply);
        return undefined;
      }
      return new Promise((resolve, reject) => {
        run(params, (err, result) => (err ? reject(err) : resolve(result)));
      });
    };
    Object.defineProperty(call, 'length', { value: fn.length + 1 });
    Object.defineProperty(call, 'name', { value: method });
    wrapped[method] = call;
  }
  return wrapped as H;
}
