import type { z } from 'zod';
import { fieldErrors, validationFailed } from '../validation';

/**
 * An operation is one thing the service does, declared once by its domain
 * and served by either door or both: its name, what it takes and answers
 * (the domain's schemas), who may ask it over HTTP, the error codes it may
 * raise, and its handler. The doors only bind it: the HTTP door to a method
 * and path (`operationRoute` in core/api/route.ts), the Thrift door to an
 * IDL method (`operationMethod` in core/rpc). Each door finds out who is
 * acting in its own way (the logged-in staff member; the calling service)
 * and hands the handler that actor with the validated input; the rest of
 * the exchange (admission, context, the error's classification, metrics,
 * the access line) is the pipeline's, the same for both doors.
 */

/**
 * Who may ask an operation over HTTP: `public` for anyone, `authenticated`
 * for any logged-in staff member, or a permission their roles must grant
 * (one a domain declares; the app refuses to start with a route that needs
 * one nobody declares). Over Thrift, `thrift.callers` decides by method.
 */
export type Permission = 'public' | 'authenticated' | (string & {});

export interface OperationSpec<I, O, A> {
  /** The operation's name: the Thrift method's when the Thrift door serves it (`create_cs_event`). */
  name: string;
  summary: string;
  permission: Permission;
  /** What the handler takes, validated by whichever door received it. */
  input: z.ZodType<I>;
  /** What it answers: the HTTP envelope's `data`; the IDL struct carries these fields (or some of them). */
  output: z.ZodType<O>;
  /** Error codes it may raise besides validation and the dependencies' (documented per door). */
  errors?: readonly string[];
  handler: (actor: A, input: I) => Promise<O> | O;
}

/** A declared operation. */
export interface Operation<I, O, A> {
  readonly name: string;
  readonly summary: string;
  readonly permission: Permission;
  readonly input: z.ZodType<I>;
  readonly output: z.ZodType<O>;
  readonly errors: readonly string[];
  readonly handler: (actor: A, input: I) => Promise<O> | O;
}

/** An operation with its types erased, as the agreement checks and the docs see it. */
export interface AnyOperation {
  readonly name: string;
  readonly input: z.ZodType;
  readonly output: z.ZodType;
  readonly errors: readonly string[];
}

export function defineOperation<I, O, A>(spec: OperationSpec<I, O, A>): Operation<I, O, A> {
  return { ...spec, errors: spec.errors ?? [] };
}

/**
 * The operation's input from what a door decoded: parsed by the operation's
 * own schema, every bad field named under `part` (`request.user_type`;
 * an empty part for a method's own arguments: `id`), in one VALIDATION_FAILED.
 */
export function operationInput<I>(operation: Operation<I, unknown, never>, raw: unknown, part: string): I {
  const parsed = operation.input.safeParse(raw);
  if (parsed.success) return parsed.data;
  const fields = fieldErrors(part, parsed.error).map((f) => (part ? f : { ...f, field: f.field.replace(/^\./, '') }));
  throw validationFailed(fields);
}
