import {
  asTandemError,
  AuthError,
  classOfCode,
  DevError,
  ERROR_CODES,
  type ErrorClassName,
  type ErrorName,
  ServerError,
  type TandemError,
  ThirdPartyError,
  UserError,
} from '../../src/exception';
import { httpStatusOf } from '../../src/core/response/http-status';

const CLASSES: Record<ErrorClassName, new (name: ErrorName) => TandemError> = {
  DevError,
  ServerError,
  ThirdPartyError,
  AuthError,
  UserError,
};

const RANGES: Record<ErrorClassName, [number, number]> = {
  DevError: [0, 99],
  ServerError: [100, 699],
  ThirdPartyError: [700, 899],
  AuthError: [900, 999],
  UserError: [1000, Number.MAX_SAFE_INTEGER],
};

const entries = Object.entries(ERROR_CODES) as [ErrorName, { code: number; message: string }][];

/** What `fn` throws, or a failure when it throws nothing. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('the error-code table', () => {
  it('when read, then every code is a non-negative integer used once', () => {
    const codes = entries.map(([, e]) => e.code);

    expect(codes.every((c) => Number.isInteger(c) && c >= 0)).toBe(true);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('when each code is raised with the class of its range, then it is built with that code and range', () => {
    for (const [name, entry] of entries) {
      const cls = classOfCode(entry.code);
      const [low, high] = RANGES[cls];

      const err = new CLASSES[cls](name);

      expect(err.kind).toBe(cls);
      expect(err.code).toBe(entry.code);
      expect(entry.code).toBeGreaterThanOrEqual(low);
      expect(entry.code).toBeLessThanOrEqual(high);
      expect(err.message).not.toBe('');
    }
  });

  it('when a message is a template, then params fill it and unknown placeholders stay visible', () => {
    const err = new ThirdPartyError('THIRD_PARTY_TIMEOUT', { params: { service: 'zeus', timeout_ms: 800 } });
    const partial = new ThirdPartyError('THIRD_PARTY_TIMEOUT', { params: { service: 'zeus' } });

    expect(err.message).toBe('zeus did not answer within 800 ms.');
    expect(partial.message).toBe('zeus did not answer within {timeout_ms} ms.');
  });
});

describe('raising errors', () => {
  it('when an undefined code is raised, then a DevError UNDEFINED_ERROR_CODE is thrown instead', () => {
    const err = thrown(() => new UserError('NO_SUCH_CODE' as ErrorName));

    expect(err).toBeInstanceOf(DevError);
    expect((err as DevError).errorName).toBe('UNDEFINED_ERROR_CODE');
    expect((err as DevError).code).toBe(ERROR_CODES.UNDEFINED_ERROR_CODE.code);
    expect((err as DevError).message).toContain('NO_SUCH_CODE');
  });

  it('when a code is raised with the wrong class, then a DevError WRONG_ERROR_CLASS is thrown instead', () => {
    const err = thrown(() => new UserError('DATABASE_ERROR'));

    expect(err).toBeInstanceOf(DevError);
    expect((err as DevError).errorName).toBe('WRONG_ERROR_CLASS');
    expect((err as DevError).message).toBe('Error code DATABASE_ERROR was raised with the wrong class UserError.');
  });

  it('when a UserError carries bad fields and a cause, then both are kept', () => {
    const cause = new Error('zod said no');

    const err = new UserError('VALIDATION_FAILED', {
      params: { fields: 'body.priority (too big)' },
      fields: [{ field: 'body.priority', message: 'too big' }],
      cause,
    });

    expect(err.fields).toEqual([{ field: 'body.priority', message: 'too big' }]);
    expect(err.cause).toBe(cause);
    expect(err).toBeInstanceOf(Error);
  });

  it('when anything else is thrown, then asTandemError wraps it as an internal DevError', () => {
    const raw = new TypeError('x is undefined');
    const ours = new AuthError('AUTH_REQUIRED');

    const wrapped = asTandemError(raw);

    expect(wrapped).toBeInstanceOf(DevError);
    expect(wrapped.errorName).toBe('INTERNAL');
    expect(wrapped.cause).toBe(raw);
    expect(asTandemError(ours)).toBe(ours);
    expect(asTandemError('a string').kind).toBe('DevError');
  });
});

describe('httpStatusOf', () => {
  it.each([
    [new UserError('BAD_REQUEST'), 400],
    [new UserError('ROUTE_NOT_FOUND'), 404],
    [new UserError('BODY_TOO_LARGE', { params: { limit: '1kb' } }), 413],
    [new AuthError('AUTH_REQUIRED'), 401],
    [new AuthError('AUTH_FORBIDDEN'), 403],
    [new ServerError('DATABASE_ERROR'), 500],
    [new ServerError('SHUTTING_DOWN'), 503],
    [new ThirdPartyError('THIRD_PARTY_ERROR'), 502],
    [new ThirdPartyError('THIRD_PARTY_TIMEOUT'), 504],
    [new DevError('INTERNAL'), 500],
  ])('when %s is answered over HTTP, then its status is %i', (err, status) => {
    expect(httpStatusOf(err)).toBe(status);
  });
});
