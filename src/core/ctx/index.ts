import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Span } from '@opentelemetry/api';

/** Who a session belongs to, and what their roles allow. */
export interface StaffIdentity {
  readonly id: number;
  readonly username: string;
  readonly roles: readonly string[];
  readonly permissions: ReadonlySet<string>;
  /** The session token of this request, for logout; never logged. */
  readonly token: string;
}

/** One Thrift connection: its peer, and the service name it gave with hello(). */
export interface ThriftConnectionState {
  readonly peer: string | undefined;
  caller: string | undefined;
  /** The request id the message being processed brought in its THeader headers (set while it is processed). */
  requestId?: string | undefined;
  /** The W3C trace context the message being processed brought in its THeader headers (set while it is processed). */
  traceparent?: string | undefined;
  tracestate?: string | undefined;
  /** The CN of the connection's TLS client certificate, when one was presented and verified. */
  certName?: string | undefined;
}

/** What every log line, metric and outgoing call of one request can see. */
export interface RequestContext {
  /** Kept from the caller's X-Request-Id / traceparent, or generated. */
  readonly requestId: string;
  /** `http` or `thrift`, or `job` / `script` for other entry points. */
  readonly protocol: 'http' | 'thrift' | 'job' | 'script';
  /** Who is calling: a staff id, a sibling service name, or a job name; set once known. */
  caller: string | undefined;
  /** The client's address (HTTP) or peer address (Thrift). */
  clientAddress?: string | undefined;
  /** The connection a Thrift call came on (Thrift calls only). */
  connection?: ThriftConnectionState | undefined;
  /** The logged-in staff member, set by the auth check of an HTTP route. */
  staff?: StaffIdentity | undefined;
  /**
   * When the caller stops waiting (epoch ms), set by the door from its
   * request deadline: outgoing calls (third-party clients) never retry or
   * wait past it. Undefined: no deadline (jobs, scripts).
   */
  deadlineAt?: number | undefined;
  /** process.hrtime.bigint() at the start of the request. */
  readonly startedAt: bigint;
  /** The request's server span, while tracing is on (core/trace). */
  span?: Span | undefined;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** The context of the request being served, or undefined outside one. */
export function currentContext(): RequestContext | undefined {
  return storage.getStore();
}

/** The request id of the request being served, or undefined outside one. */
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/** Runs `fn` with `ctx` as the current context for every await below it. */
export function runWithContext<T>(ctx: RequestContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/**
 * Whether this Node's AsyncLocalStorage is built on AsyncContextFrame (the
 * default from Node 24, `--experimental-async-context-frame` on Node 22): the
 * store travels with V8's continuation data, so no async_hooks init hook runs
 * for every promise, timer and callback. Detected on the instance rather than
 * from the version, since a flag turns it on or off either way
 * (`--no-async-context-frame` on Node 24): the hook-based implementation keeps
 * the key under which it stores each request's context on async resources.
 */
export const contextFrames = !Object.hasOwn(storage, 'kResourceStore');

/** Runs `fn` with no current context (for work that belongs to no one request). */
export const runOutsideContext: <T>(fn: () => T) => T = contextFrames
  ? // A frame switch and back, as run() does: exit() is the documented way to say "no store".
    (fn) => storage.exit(fn)
  : // The hook-based exit() disables the instance, and with it the init hook, until fn returns;
    // run() with no store only sets a slot (and exit() is still experimental in Node 20).
    (fn) => storage.run(undefined as unknown as RequestContext, fn);

/** A fresh context; the request id is generated unless one is given. */
export function newContext(protocol: RequestContext['protocol'], requestId?: string, caller?: string): RequestContext {
  return { requestId: requestId ?? newRequestId(), protocol, caller, startedAt: process.hrtime.bigint() };
}

export function newRequestId(): string {
  return randomUUID();
}

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * The request id to use for an incoming request: the caller's own
 * X-Request-Id when it is a safe token, else the trace id of a W3C
 * traceparent, else a new one. Unsafe values are replaced, never echoed.
 */
export function requestIdFrom(header: string | undefined, traceparent: string | undefined): string {
  if (header !== undefined && SAFE_ID.test(header)) return header;
  if (traceparent !== undefined) {
    const match = TRACEPARENT.exec(traceparent);
    if (match?.[1] && !/^0+$/.test(match[1])) return match[1];
  }
  return newRequestId();
}

/** Milliseconds since the context started. */
export function elapsedMs(ctx: RequestContext): number {
  return Number(process.hrtime.bigint() - ctx.startedAt) / 1e6;
}

/**
 * A duration in milliseconds rounded to 10 µs, as access lines and statsd
 * timings give it: finer digits say nothing about latency, and a double such
 * as 0.052381699 costs several times as much to turn into text as 0.05.
 */
export function roundedMs(ms: number): number {
  return Math.round(ms * 100) / 100;
}
