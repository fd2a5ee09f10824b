import Int64 from 'node-int64';
import type { AppModules, RunningApp } from '../../src/core/app/app';
import { checkCallers, setConnectionCaller, wrapHandler } from '../../src/core/rpc';
import { UserError } from '../../src/exception';
import { toIdlException } from '../../src/thrift/errors';
import { Processor as TandemProcessor } from '../../thrift/gen-nodejs/Tandem';
import { ServerException, UserException } from '../../thrift/gen-nodejs/tandem_types';
import { probeModules } from '../fixtures/probe-app';
import { baseUrl, startTestApp } from '../helpers/app';
import { captureLogs } from '../helpers/log-capture';
import { type ConnectedClient, tandemClient } from '../helpers/thrift-client';
import type { Client as TandemClient } from '../../thrift/gen-nodejs/Tandem';
import { deferred, waitFor, within } from '../helpers/wait';

/**
 * The per-caller limit (thrift.caller_max_in_flight): one caller with its
 * calls in flight at the limit is shed (ServerException 102) while another
 * caller named in thrift.callers is still served, and ping answers both.
 * Service Tandem over real Thrift clients, with get_cs_event held open by
 * the test (it then answers UserException 1100, as for a missing event), so
 * that a shed call (ServerException) and a served one (UserException) tell
 * themselves apart.
 */

const release = deferred();
let started = 0;

/** Service Tandem's methods this test calls: hello names the caller, get_cs_event waits for `release`. */
const heldTandem = {
  ping: (): string => 'pong',
  hello: (serviceName: string): void => setConnectionCaller(serviceName),
  get_cs_event: async (id: Int64): Promise<never> => {
    started += 1;
    await release.promise;
    throw new UserError('CS_EVENT_NOT_FOUND', { params: { id: id.toNumber() } });
  },
};

function heldModules(): AppModules {
  return {
    ...probeModules(),
    thriftProcessor: (resources, inFlight) =>
      new TandemProcessor(
        wrapHandler(checkCallers(heldTandem, resources.config.thrift.callers), {
          toIdlException,
          inFlight,
          accessLog: false,
          admission: resources.admission.thrift,
        }),
      ),
  };
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

let app: RunningApp;
let busy: ConnectedClient<TandemClient>;
let other: ConnectedClient<TandemClient>;

beforeAll(async () => {
  app = await startTestApp(
    {
      thrift: {
        max_in_flight: 10,
        caller_max_in_flight: 2,
        callers: { 'order-service': ['*'], 'risk-service': ['*'] },
      },
    },
    heldModules(),
  );
  captureLogs();
  busy = await tandemClient(app.thrift.port);
  other = await tandemClient(app.thrift.port);
  await within(busy.client.hello('order-service'), 5000, 'hello() of order-service');
  await within(other.client.hello('risk-service'), 5000, 'hello() of risk-service');
});

afterAll(async () => {
  release.resolve();
  busy.close();
  other.close();
  await app.stop();
});

it('when one caller has caller_max_in_flight calls held, then its next call is ServerException 102 while another caller is served', async () => {
  const held = [rejection(busy.client.get_cs_event(new Int64(1))), rejection(busy.client.get_cs_event(new Int64(2)))];
  await waitFor(() => (started >= 2 ? true : undefined), 5000, 'both held calls reaching their method');

  const shed = await rejection(busy.client.get_cs_event(new Int64(3)));
  const served = rejection(other.client.get_cs_event(new Int64(4)));
  await waitFor(() => (started >= 3 ? true : undefined), 5000, "the other caller's call reaching its method");
  const busyPing = await within(busy.client.ping(), 5000, "the busy caller's ping");
  const metrics = await (await fetch(`${baseUrl(app)}/metrics`)).text();

  expect(shed).toBeInstanceOf(ServerException);
  expect(shed).toMatchObject({ code: 102 });
  expect(busyPing).toBe('pong');
  expect(metrics).toMatch(/^tandem_shed_total\{door="thrift",reason="caller"\} [1-9]/m);

  release.resolve();
  for (const err of [...(await Promise.all(held)), await served]) {
    expect(err).toBeInstanceOf(UserException);
    expect(err).toMatchObject({ code: 1100 });
  }
  // Its calls answered, the busy caller is admitted again.
  expect(await rejection(busy.client.get_cs_event(new Int64(5)))).toBeInstanceOf(UserException);
});
