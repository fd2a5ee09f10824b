import { HealthFailure } from '../../src/core/api/system-routes';
import { errorEnvelope, okEnvelope } from '../../src/core/response/envelope';
import { DevError, ServerError, UserError } from '../../src/exception';

describe('okEnvelope', () => {
  it('when data is given, then it is wrapped with code 0 and msg ok', () => {
    expect(okEnvelope({ id: 7 })).toEqual({ code: 0, msg: 'ok', data: { id: 7 } });
    expect(okEnvelope(null)).toEqual({ code: 0, msg: 'ok', data: null });
  });
});

describe('errorEnvelope', () => {
  it('when a UserError is answered, then its code and message are shown with the request id and data null', () => {
    const err = new UserError('ROUTE_NOT_FOUND', { params: { method: 'GET', path: '/nope' } });

    const body = errorEnvelope(err, 'req-1');

    expect(body).toEqual({ code: 1003, msg: 'There is no route GET /nope.', data: null, request_id: 'req-1' });
  });

  it('when a DevError is answered, then only the generic internal error is shown, without cause or stack', () => {
    const err = new DevError('UNDEFINED_ERROR_CODE', {
      params: { name: 'SECRET_THING' },
      cause: new Error('password=hunter2'),
    });

    const body = errorEnvelope(err, 'req-2');
    const text = JSON.stringify(body);

    expect(body).toEqual({ code: 1, msg: 'Internal server error.', data: null, request_id: 'req-2' });
    expect(text).not.toMatch(/SECRET_THING|hunter2|stack|at /);
  });

  it('when a ServerError wraps a driver error, then the cause never reaches the body', () => {
    const err = new ServerError('DATABASE_ERROR', { cause: new Error('connect ECONNREFUSED 10.0.0.9:3306') });

    const text = JSON.stringify(errorEnvelope(err, 'req-3'));

    expect(text).not.toContain('ECONNREFUSED');
    expect(JSON.parse(text)).toMatchObject({ code: 200, msg: err.message });
  });

  it('when readiness fails, then the health report is the envelope data', () => {
    const report = {
      status: 'down' as const,
      version: 'dev',
      release: 'dev',
      checks: { mysql: { ok: false, required: true, ms: 3, error: 'refused' } },
    };

    const body = errorEnvelope(new HealthFailure('SERVICE_UNAVAILABLE', report), 'req-4');

    expect(body).toMatchObject({ code: 100, data: report, request_id: 'req-4' });
  });
});
