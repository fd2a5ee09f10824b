import { isPromiseLike } from '../async';
import { type Operation, operationInput } from '../pipeline';

/** How the Thrift door serves an operation: where its decoded input is named, and how its answer is encoded. */
export interface MethodBinding<O, R> {
  /**
   * The name the input's bad fields are given under: `request` for a method
   * that takes one request struct (`request.user_type`), empty for a method
   * whose arguments are the input's own fields (`id`).
   */
  part: string;
  /** The operation's answer as the IDL struct (i64s, numbered enums). */
  encode: (output: O) => R;
}

/**
 * The Thrift method of an operation (core/pipeline/operation.ts): the IDL
 * arguments, decoded to plain values by the domain's adapter, are checked by
 * the operation's own input schema (as the HTTP door checks a body), the
 * handler runs with the acting caller, and its answer is encoded for the
 * IDL. Arity stays the adapter's: it declares the IDL's arguments and calls
 * this with what it decoded.
 */
export function operationMethod<I, O, A, R>(
  operation: Operation<I, O, A>,
  binding: MethodBinding<O, R>,
): (decoded: unknown, actor: A) => Promise<R> | R {
  const { handler } = operation;
  const { encode, part } = binding;
  return (decoded, actor) => {
    const answer = handler(actor, operationInput(operation, decoded, part));
    return isPromiseLike(answer) ? Promise.resolve(answer).then(encode) : encode(answer);
  };
}
