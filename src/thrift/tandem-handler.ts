/**
 * The typed handler of `service Tandem` in thrift/tandem.thrift. The
 * generated `.d.ts` types the processor's handler as `object`; this interface
 * is what the compiler checks our implementation against. Each method
 * decodes IDL input, calls a service, and encodes the result.
 *
 * Arity matters: the generated processor calls a method promise-style only
 * when it declares exactly the IDL's arguments (no defaults, no rest).
 */
export interface TandemHandler {
  ping(): Promise<string>;
}

export function createTandemHandler(): TandemHandler {
  return {
    ping: () => Promise.resolve('pong'),
  };
}
