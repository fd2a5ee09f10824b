import Bull from 'bull';
import type { RunningApp } from '../../src/core/app/app';
import type { JobEnvelope } from '../../src/core/async';
import { FIXTURE_ORDERS } from '../../thirdparty/zeus/stub/fixtures';
import { ZeusStub } from '../../thirdparty/zeus/stub/zeus-stub';
import { PROBE_QUEUE, probeModules } from '../fixtures/probe-app';
import { startTestApp } from '../helpers/app';
import { freshRedisPrefix } from '../helpers/db';
import { captureLogs, type LogCapture } from '../helpers/log-capture';
import { itWithPythonThrift, type PythonAnswer, runCallClient } from '../helpers/python-thrift';

/**
 * A sibling's request id, sent by a real Python Apache Thrift client
 * (Debian's python3-thrift, THeaderProtocol) in a THeader header, followed
 * through everything the call causes: tandem's access line, the log lines of
 * its work, the Bull job it queues (read back from Redis with Bull), the
 * log line of that job's run, and the RequestMeta that the zeus stub receives
 * over real Thrift. The work is the Probe service's `relay`
 * (test/fixtures/probe-app.ts), which uses the core's queue API and the zeus
 * client as production code does; tandem.thrift has no method that queues a
 * job or calls zeus.
 */

/** An order the stub serves: the first fixture (an id beyond 2^53, kept exact as a string). */
const ORDER_ID = (FIXTURE_ORDERS[0] as { id: string }).id;

const withPython = itWithPythonThrift('thrift-header-work.test.ts', 'thrift.protocol.THeaderProtocol');

function runClient(port: number, protocol: string, headers: Record<string, string>): Promise<PythonAnswer[]> {
  return runCallClient(port, 'header', protocol, [`relay:${ORDER_ID}`], headers, 20_000);
}

let stub: ZeusStub;
let app: RunningApp | undefined;
let queue: Bull.Queue<JobEnvelope<{ order_id: string }>> | undefined;
let logs: LogCapture;

beforeAll(async () => {
  stub = new ZeusStub();
  const zeusPort = await stub.start();
  const prefix = freshRedisPrefix();
  app = await startTestApp(
    {
      log: { level: 'info', access: true },
      redis: { key_prefix: prefix },
      thirdparty: { zeus: { instances: [`127.0.0.1:${zeusPort}`], retries: 0 } },
    },
    probeModules({ relay: true }),
  );
  // The queue as another process would open it: the same name and key prefix on the same Redis.
  queue = new Bull(PROBE_QUEUE.name, app.resources.config.redis.url, { prefix: `${prefix}bull` });
  logs = captureLogs();
});

afterAll(async () => {
  await queue?.obliterate({ force: true });
  await queue?.close();
  await app?.stop();
  await stub.stop();
});

describe.each([
  {
    name: 'a request-id header (binary inside)',
    protocol: 'binary',
    headers: (id: string) => ({ 'request-id': id }),
    id: () => `order-svc-relay-${Date.now()}`,
  },
  {
    name: 'a W3C traceparent header (compact inside)',
    protocol: 'compact',
    // The request id is the trace id: 32 hex digits, not all zero.
    headers: (id: string) => ({ traceparent: `00-${id}-00f067aa0ba902b7-01` }),
    id: () => `4bf92f3577b34da6a3ce${Date.now().toString(16).padStart(12, '0')}`,
  },
])('a Python THeaderProtocol client calling relay() with $name', ({ protocol, headers, id }) => {
  withPython(
    'then its id is in the access line, the work’s log lines, the Bull job, the job’s run and the RequestMeta zeus got',
    async () => {
      const requestId = id();
      const stubCallsBefore = stub.calls.length;

      const [answer] = await runClient(app!.thrift.port, protocol, {
        ...headers(requestId),
        'service-name': 'order-service',
      });

      // The reply: the queued job's id, and the request id echoed in the reply headers.
      expect(answer).toMatchObject({ type: 2, seqid: 1 });
      expect(answer?.exception ?? answer?.application_exception).toBeUndefined();
      const jobId = answer?.success as string;
      expect(jobId).toMatch(/^\d+$/);
      expect(answer?.headers?.['request-id']).toBe(requestId);

      // tandem's access line for the call.
      const access = await logs.find(
        (l) => l.message === 'thrift access' && l.method === 'relay' && l.request_id === requestId,
      );
      expect(access).toMatchObject({ caller: 'order-service', outcome: 'ok' });

      // The log lines of the work the call did.
      await logs.find((l) => l.message === 'probe relay started' && l.request_id === requestId);
      await logs.find(
        (l) => l.message === 'probe relay read the order' && l.request_id === requestId && l.job_id === jobId,
      );

      // The Bull job it queued, read back from Redis.
      const job = await queue!.getJob(jobId);
      expect(job?.data).toMatchObject({ payload: { order_id: ORDER_ID }, meta: { request_id: requestId } });

      // The job's run, on the queue's worker, logs under the same id.
      await logs.find((l) => l.message === 'probe job ran' && l.request_id === requestId && l.job_id === jobId);

      // The RequestMeta zeus received (over real Thrift, decoded by the stub).
      const zeusCalls = stub.calls.slice(stubCallsBefore);
      expect(zeusCalls).toEqual([expect.objectContaining({ method: 'get_order', request_id: requestId })]);
      expect(zeusCalls[0]?.caller).toBe(app!.resources.config.service_name);
    },
  );
});
