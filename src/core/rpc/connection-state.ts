import { AsyncLocalStorage } from 'node:async_hooks';

/** What is known about one Thrift connection: its peer, and the service name it gave. */
export interface ConnectionState {
  readonly peer: string | undefined;
  caller: string | undefined;
}

const storage = new AsyncLocalStorage<ConnectionState>();

/**
 * Runs the processor for one message with its connection's state current.
 * The generated processor calls the handler synchronously inside
 * `process()`, so the handler wrapper sees this state.
 */
export function runWithConnection<T>(state: ConnectionState, fn: () => T): T {
  return storage.run(state, fn);
}

export function currentConnection(): ConnectionState | undefined {
  return storage.getStore();
}

/** Records the calling service's name (from `hello`) for the rest of this connection. */
export function setConnectionCaller(name: string): void {
  const state = storage.getStore();
  if (state) state.caller = name;
}
