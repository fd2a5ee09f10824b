/** Whether a handler's result is a promise (or another thenable) to wait for, rather than the value itself. */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
