import type { TandemError } from '../../exception';

/** The body of every successful HTTP response. */
export interface OkEnvelope<T> {
  code: 0;
  msg: 'ok';
  data: T;
}

/** The body of every failed HTTP response. */
export interface ErrorEnvelope {
  code: number;
  msg: string;
  data: unknown;
  request_id: string;
}

export function okEnvelope<T>(data: T): OkEnvelope<T> {
  return { code: 0, msg: 'ok', data };
}

/** The failure body: the business code and the person's message, never a stack or a cause. */
export function errorEnvelope(err: TandemError, requestId: string): ErrorEnvelope {
  const msg = err.kind === 'DevError' ? 'Internal server error.' : err.message;
  return { code: err.kind === 'DevError' ? 1 : err.code, msg, data: err.data, request_id: requestId };
}
