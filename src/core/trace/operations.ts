import { tracing } from './active';
import { endSpan, runInTrace, settleIn, SpanKind, startSpan } from './spans';

type Method = (...args: unknown[]) => unknown;

/** The methods a service offers: its prototype chain's functions, the constructor and Object's own left out. */
function methodNames(service: object): string[] {
  const names = new Set<string>();
  for (let proto = Object.getPrototypeOf(service) as object | null; proto && proto !== Object.prototype;) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (name !== 'constructor' && typeof descriptor?.value === 'function') names.add(name);
    }
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return [...names];
}

/** Calls `method` on `service` inside a span named `name`, ended when its result settles. */
function callInSpan(name: string, service: object, method: Method, args: unknown[]): unknown {
  // Only under a request's or a job's span: an operation alone is not a trace of its own.
  const started = startSpan(name, SpanKind.INTERNAL, { 'tandem.operation': name }, undefined, true);
  if (!started) return method.apply(service, args);
  const { span } = started;
  let result: unknown;
  try {
    result = runInTrace(started.context, () => method.apply(service, args));
  } catch (err) {
    endSpan(span, err);
    throw err;
  }
  // A promise ends the span when it settles, as every traced piece of work does (spans.ts).
  if (result instanceof Promise) return settleIn(span, () => result);
  span.end();
  return result;
}

/**
 * A domain service whose every method runs in a span of its own, named
 * `<scope>.<method>` (`cs.events.create`), a child of the door's or the
 * job's span: the operation between the door and the queries it makes.
 * With tracing off it returns `service` itself, so an untraced process pays
 * nothing. The service's own calls to its methods are not spans (they run
 * on the service, not on the traced face), nor are its collaborators'.
 */
export function traceOperations<T extends object>(scope: string, service: T): T {
  if (!tracing.on) return service;
  const face = Object.create(service) as Record<string, unknown>;
  const methods = service as unknown as Record<string, Method>;
  for (const name of methodNames(service)) {
    const method = methods[name] as Method;
    const spanName = `${scope}.${name}`;
    face[name] = (...args: unknown[]) => callInSpan(spanName, service, method, args);
  }
  return face as T;
}
