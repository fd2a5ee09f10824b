import { classOfCode, ERROR_CODES, type ErrorClassName, type ErrorName } from './error_code';

/** One bad input field, named by its path (`body.priority`, `query.page`). */
export interface FieldError {
  field: string;
  message: string;
}

export interface ErrorOptions {
  /** Values for the message template; never secrets. */
  params?: Record<string, string | number>;
  /** Bad fields, for validation errors. */
  fields?: FieldError[];
  /** The error this one wraps. */
  cause?: unknown;
}

function render(template: string, params: Record<string, string | number> | undefined): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in params ? String(params[key]) : whole));
}

/**
 * The base of every error we raise on purpose. It carries a stable business
 * code from `ERROR_CODES`, a message for a person, the bad fields if any, and
 * the wrapped cause. Transports map it to a status or an IDL exception; the
 * class itself knows nothing about HTTP or Thrift.
 */
export abstract class TandemError extends Error {
  abstract readonly kind: ErrorClassName;
  readonly errorName: ErrorName;
  readonly code: number;
  readonly params: Readonly<Record<string, string | number>>;
  readonly fields: readonly FieldError[];
  /**
   * What the failure envelope carries as `data`: null for every error but a
   * few documented ones (GET /health's report when not ready).
   */
  readonly data: unknown = null;

  constructor(errorName: ErrorName, options: ErrorOptions = {}, expected?: ErrorClassName) {
    const entry = (ERROR_CODES as Record<string, { code: number; message: string } | undefined>)[errorName];
    if (!entry) {
      // A DevError is thrown instead of the one asked for.
      throw new DevError('UNDEFINED_ERROR_CODE', { params: { name: String(errorName) } });
    }
    if (expected && classOfCode(entry.code) !== expected) {
      throw new DevError('WRONG_ERROR_CLASS', { params: { name: errorName, cls: expected } });
    }
    super(render(entry.message, options.params), options.cause === undefined ? undefined : { cause: options.cause });
    this.errorName = errorName;
    this.code = entry.code;
    this.params = options.params ?? {};
    this.fields = options.fields ?? [];
  }
}

/** The caller asked for something wrong: bad input, not found, conflict, illegal state change. */
export class UserError extends TandemError {
  readonly kind = 'UserError' as const;
  constructor(errorName: ErrorName, options?: ErrorOptions) {
    super(errorName, options, 'UserError');
    this.name = 'UserError';
  }
}

/** Not logged in, or not allowed. */
export class AuthError extends TandemError {
  readonly kind = 'AuthError' as const;
  constructor(errorName: ErrorName, options?: ErrorOptions) {
    super(errorName, options, 'AuthError');
    this.name = 'AuthError';
  }
}

/** Our own dependency failed (database, cache), or we are overloaded. */
export class ServerError extends TandemError {
  readonly kind = 'ServerError' as const;
  constructor(errorName: ErrorName, options?: ErrorOptions) {
    super(errorName, options, 'ServerError');
    this.name = 'ServerError';
  }
}

/** A sibling service failed or timed out. */
export class ThirdPartyError extends TandemError {
  readonly kind = 'ThirdPartyError' as const;
  constructor(errorName: ErrorName, options?: ErrorOptions) {
    super(errorName, options, 'ThirdPartyError');
    this.name = 'ThirdPartyError';
  }
}

/** A programming mistake: logged loudly with its stack, shown to callers as an internal error. */
export class DevError extends TandemError {
  readonly kind = 'DevError' as const;
  constructor(errorName: ErrorName, options?: ErrorOptions) {
    // No class check here: it would recurse, and every path into DevError is ours.
    super(errorName, options);
    this.name = 'DevError';
  }
}

/** Recognises a library's error (a driver's, a client's) as one of ours, or says nothing. */
export type ErrorClassifier = (err: unknown) => TandemError | undefined;

const classifiers: ErrorClassifier[] = [];

/**
 * Lets the layer that owns a dependency say what its failures mean (core/db
 * registers MySQL and Redis failures as ServerError), so a raw driver error
 * reaches callers as a dependency failure, never as itself.
 */
export function registerErrorClassifier(classifier: ErrorClassifier): void {
  classifiers.push(classifier);
}

/** Anything thrown, as a TandemError: known dependency failures by their classifier, the rest an internal DevError. */
export function asTandemError(err: unknown): TandemError {
  if (err instanceof TandemError) return err;
  for (const classify of classifiers) {
    const known = classify(err);
    if (known) return known;
  }
  return new DevError('INTERNAL', { cause: err });
}
