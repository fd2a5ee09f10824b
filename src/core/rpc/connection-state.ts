import { currentContext, type ThriftConnectionState } from '../ctx';

let processing: ThriftConnectionState | undefined;

/**
 * Runs the processor for one message with its connection's state current.
 * The generated processor calls the handler synchronously inside
 * `process()`, and the handler wrapper puts the state on the call's request
 * context then. A plain slot is enough for that: a second AsyncLocalStorage
 * would add its propagation to every promise and callback of the process.
 */
export function runWithConnection<T>(state: ThriftConnectionState, fn: () => T): T {
  const outer = processing;
  processing = state;
  try {
    return fn();
  } finally {
    processing = outer;
  }
}

/** The connection whose message is being processed: set during the synchronous part of `process()` only. */
export function processingConnection(): ThriftConnectionState | undefined {
  return processing;
}

const SERVICE_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** What a service name may be, in words, for the error a bad one gets. */
export const SERVICE_NAME_RULE = 'service_name must be 1-64 letters, digits, dots, dashes or underscores.';

/**
 * Whether `name` may name a calling service (in `hello` or a THeader): one
 * rule for both, since either name is what thrift.allowed_callers is checked
 * against and what the logs and metrics carry.
 */
export function isServiceName(name: string): boolean {
  return SERVICE_NAME.test(name);
}

/**
 * The name a connection's caller goes by: its verified TLS client
 * certificate's CN over any name it claimed (hello, or a THeader).
 */
export function callerName(state: ThriftConnectionState | undefined): string | undefined {
  return state?.certName ?? state?.caller;
}

/** Records the calling service's name (from `hello`) for the rest of this connection; works after awaits too. */
export function setConnectionCaller(name: string): void {
  const state = currentContext()?.connection;
  if (state) state.caller = name;
}
