import { AuthError } from '../../exception';
import { callerName, processingConnection } from './connection-state';
import { wrapMethods } from './methods';

/** Methods any caller may call: the health check, and the one that says who the caller is. */
const ALWAYS_ALLOWED = new Set(['ping', 'hello']);

/**
 * Wraps each method of a handler so that only the callers `thrift.callers`
 * names may call it: a caller is its connection's verified TLS client
 * certificate CN, else the name it gave in THeader or `hello`. A call from
 * anyone else is an AuthError (AUTH_CALLER_NOT_ALLOWED), answered as the
 * IDL's AuthException. With no map (null), the handler is returned as it is.
 * Wrap it inside wrapHandler; the wrapper keeps each method's arity.
 */
export function checkCallers<H extends object>(
  impl: H,
  callers: Readonly<Record<string, readonly string[]>> | null,
): H {
  if (!callers) return impl;
  const allowed = new Map(Object.entries(callers).map(([name, methods]) => [name, new Set(methods)]));
  return wrapMethods(impl, (name, method) => {
    if (ALWAYS_ALLOWED.has(name)) return undefined;
    return (...args: unknown[]): unknown => {
      const caller = callerName(processingConnection());
      const methods = caller === undefined ? undefined : allowed.get(caller);
      if (!methods || !(methods.has('*') || methods.has(name))) {
        throw new AuthError('AUTH_CALLER_NOT_ALLOWED', {
          params: { caller: caller === undefined ? 'A caller that gave no name' : `Caller ${caller}`, method: name },
        });
      }
      return method.apply(impl, args);
    };
  });
}
