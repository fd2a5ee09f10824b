import Int64 from 'node-int64';
import thrift from 'thrift';
import type { RunningApp } from '../../src/core/app/app';
import {
  AuthException,
  ServerException,
  ThirdPartyException,
  UserException,
} from '../../thrift/gen-nodejs/tandem_types';
import { probeModules } from '../fixtures/probe-app';
import { Client as ProbeClient } from '../fixtures/thrift/gen-nodejs/Probe';
import { startTestApp } from '../helpers/app';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { type ConnectedClient, thriftClient } from '../helpers/thrift-client';
import { within } from '../helpers/wait';

const { TApplicationException, TApplicationExceptionType } = thrift.Thrift;

let app: RunningApp;
let logs: LogCapture;
let probe: ConnectedClient<ProbeClient>;

beforeAll(async () => {
  app = await startTestApp({ log: { level: 'info', access: true } }, probeModules());
  logs = captureLogs();
  probe = await thriftClient(ProbeClient, app.thrift.port);
});

afterAll(async () => {
  probe.close();
  await app.stop();
});

/** The type a received TApplicationException carries (its typings name only `code`). */
function applicationType(err: unknown): unknown {
  return (err as { type?: unknown }).type;
}

/** What a call rejects with; fails the test if it resolves. */
async function rejection(call: Promise<unknown>): Promise<unknown> {
  try {
    await within(call, 5000, 'the Thrift call');
  } catch (err) {
    return err;
  }
  throw new Error('the call succeeded where an exception was expected');
}

describe('promise-returning handlers', () => {
  it('when echo() resolves a promise, then the caller gets its value', async () => {
    expect(await within(probe.client.echo('héllo, 世界'), 5000, 'echo()')).toBe('héllo, 世界');
  });

  it('when add() gets i64 arguments within 2^53, then the i64 sum comes back', async () => {
    const sum = await within(probe.client.add(new Int64(2 ** 52), new Int64(-7)), 5000, 'add()');

    expect(sum.toNumber(false)).toBe(2 ** 52 - 7);
  });
});

describe('declared exceptions', () => {
  it.each([
    ['user', UserException, 1000, 'The request is invalid: the probe was asked to fail.'],
    ['auth', AuthException, 900, 'Log in first: this needs a valid session token.'],
    ['server', ServerException, 200, 'The database failed to answer; try again shortly.'],
    ['third_party', ThirdPartyException, 701, 'zeus did not answer within 800 ms.'],
  ])(
    'when the handler raises the %s error, then the caller gets the typed IDL exception',
    async (kind, Type, code, message) => {
      const err = await rejection(probe.client.fail(kind));

      expect(err).toBeInstanceOf(Type);
      expect(err).toMatchObject({ code, message });
    },
  );

  it('when a ServerError wraps a driver error, then the cause stays in the log and out of the exception', async () => {
    const err = await rejection(probe.client.fail('server'));

    expect(JSON.stringify(err)).not.toContain('ECONNREFUSED');
    // DATABASE_ERROR (200) is a statement the database rejected: logged per call with its cause, not as an outage.
    const line = await logs.find(
      (l) => l.message === 'request failed' && l.door === 'thrift' && l.kind === 'ServerError',
    );
    expect(String(line.error)).toContain('ECONNREFUSED');
  });

  it('when an i64 argument is beyond 2^53, then a UserException names the field', async () => {
    const beyond = new Int64('0020000000000001'); // 2^53 + 1

    const err = await rejection(probe.client.add(beyond, new Int64(1)));

    expect(err).toBeInstanceOf(UserException);
    expect(err).toMatchObject({ code: 1005, message: 'The field a is beyond the safe integer range.' });
  });
});

describe('one failure policy for both doors', () => {
  it('when a ThirdPartyError is raised over Thrift and over HTTP, then each door logs one request failed line with its stack, the request id and the operation', async () => {
    const thriftErr = await rejection(probe.client.fail('third_party'));
    const res = await fetch(`http://127.0.0.1:${app.http.port}/probe/fail/third_party`, {
      headers: { 'X-Request-Id': 'one-policy-http' },
    });

    expect(thriftErr).toBeInstanceOf(ThirdPartyException);
    expect(res.status).toBeGreaterThanOrEqual(502);
    const overThrift = await logs.find(
      (l) => l.message === 'request failed' && l.door === 'thrift' && l.kind === 'ThirdPartyError',
    );
    const overHttp = await logs.find(
      (l) => l.message === 'request failed' && l.door === 'http' && l.request_id === 'one-policy-http',
    );
    expect(overThrift.operation).toBe('fail');
    expect(overHttp.operation).toBe('GET /probe/fail/:kind');
    expect(overHttp.kind).toBe('ThirdPartyError');
    expect(typeof overThrift.stack).toBe('string');
    expect(typeof overHttp.stack).toBe('string');
  });
});

describe('undeclared errors', () => {
  it.each([
    ['a plain Error', 'plain'],
    ['a DevError', 'dev'],
  ])(
    'when the handler raises %s, then TApplicationException(INTERNAL_ERROR) with no internals',
    async (_label, kind) => {
      const err = await rejection(probe.client.fail(kind));

      expect(err).toBeInstanceOf(TApplicationException);
      expect(applicationType(err)).toBe(TApplicationExceptionType.INTERNAL_ERROR);
      expect((err as Error).message).toBe('Internal error');
    },
  );

  it('when a plain Error is raised, then it is logged with its stack and counted as a DevError outcome', async () => {
    await rejection(probe.client.fail('plain'));

    const failed = await logs.find(
      (l) => l.message === 'request failed' && l.door === 'thrift' && l.kind === 'DevError' && l.operation === 'fail',
    );
    expect(String(failed.stack)).toContain('secret.ts');
    const access = await logs.find(
      (l) => l.message === 'thrift access' && l.method === 'fail' && l.outcome === 'DevError',
    );
    expect(access.code).toBe(1);
  });

  it('when the handler throws synchronously, then the caller still gets an answer and the connection lives on', async () => {
    const err = await rejection(probe.client.throw_sync());

    expect(err).toBeInstanceOf(TApplicationException);
    expect(applicationType(err)).toBe(TApplicationExceptionType.INTERNAL_ERROR);
    expect((err as Error).message).not.toContain('secret');
    expect(await within(probe.client.echo('still here'), 5000, 'echo() after the throw')).toBe('still here');
  });

  it.each([
    [{}],
    [{ framed: true, compact: true }],
    [{ framed: false, compact: true }],
    [{ framed: false, compact: false }],
  ])(
    'when the result cannot be encoded (transport %o), then the caller gets INTERNAL_ERROR, the connection lives on and the call is logged as DevError',
    async (options) => {
      const other = await thriftClient(ProbeClient, app.thrift.port, options);
      try {
        const err = await rejection(other.client.echo('unencodable'));

        expect(err).toBeInstanceOf(TApplicationException);
        expect(applicationType(err)).toBe(TApplicationExceptionType.INTERNAL_ERROR);
        // Nothing of the failed reply is left in front of the next one.
        expect(await within(other.client.echo('after'), 5000, 'echo() after the failed reply')).toBe('after');
        await logs.find((l) => l.message === 'thrift reply could not be written' && l.method === 'echo');
        await logs.find((l) => l.message === 'thrift access' && l.method === 'echo' && l.outcome === 'DevError');
      } finally {
        other.close();
      }
    },
  );

  it.each([[{ framed: false, compact: false }], [{ framed: false, compact: true }], [{ framed: true, compact: true }]])(
    'when the transport is %o, then exceptions arrive the same way',
    async (options) => {
      const other = await thriftClient(ProbeClient, app.thrift.port, options);
      try {
        expect(await rejection(other.client.fail('user'))).toBeInstanceOf(UserException);
        const err = await rejection(other.client.fail('plain'));
        expect(applicationType(err)).toBe(TApplicationExceptionType.INTERNAL_ERROR);
      } finally {
        other.close();
      }
    },
  );
});
