import { randomBytes } from 'node:crypto';
import type { RunningApp } from '../../src/core/app/app';
import { flushTraces } from '../../src/core/trace';
import type { FlaggedOrder } from '../../src/service/risk/risk-types';
import { FLAGGED_FIXTURE_IDS } from '../../thirdparty/zeus/stub/fixtures';
import { baseUrl, startTestApp } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { captureLogs, type LogLine } from '../helpers/log-capture';
import { OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver';
import { itWithPythonThrift, runCallClient } from '../helpers/python-thrift';
import { reviewerWithReports, riskHarness } from '../helpers/risk';
import { call, loginAs } from '../helpers/staff';
import { waitFor } from '../helpers/wait';

/**
 * Traces as a receiver gets them over OTLP/HTTP protobuf, decoded with the
 * OpenTelemetry project's own generated definitions: a reviewer's fraud
 * verdict sent with a W3C traceparent (the flow that opens a customer-service
 * event and queues the job that reports the order to zeus, the stub speaking
 * real Thrift) is one trace from the caller's span to the zeus call; a Thrift
 * call with a traceparent in its THeader headers continues the caller's
 * trace; log lines carry trace_id and span_id. With trace.otlp_url empty
 * (the default) nothing is exported at all.
 */

jest.setTimeout(60_000);

const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

const newTraceId = (): string => randomBytes(16).toString('hex');
const newSpanId = (): string => randomBytes(8).toString('hex');

/** The chain of parents of `span` within its trace, nearest first. */
function ancestors(spans: ReceivedSpan[], span: ReceivedSpan): ReceivedSpan[] {
  const chain: ReceivedSpan[] = [];
  let parent = spans.find((s) => s.spanId === span.parentSpanId);
  while (parent) {
    chain.push(parent);
    const next = parent.parentSpanId;
    parent = spans.find((s) => s.spanId === next);
  }
  return chain;
}

describe('with trace.otlp_url set and every trace sampled', () => {
  const receiver = new OtlpReceiver();
  let url = '';
  beforeAll(async () => {
    url = await receiver.start();
  });
  afterAll(() => receiver.stop());

  // zeus over THeader: the call's headers carry the client span's traceparent, so zeus continues the trace.
  const harness = riskHarness(
    () => ({
      trace: { otlp_url: url, sample_ratio: 1, export_delay_ms: 50 },
      log: { level: 'info', access: true },
    }),
    { zeus: { transport: 'header' } },
  );
  const reviewer = reviewerWithReports(harness);

  it('when a fraud verdict comes with a traceparent, then one trace runs from the caller through MySQL, Redis, the queued job and the zeus call', async () => {
    const h = harness();
    const id = FLAGGED_FIXTURE_IDS[0] ?? '';
    const traceId = newTraceId();
    const callerSpan = newSpanId();
    const res = await fetch(`${baseUrl(h.app)}/api/risk/orders/${id}/review`, {
      method: 'POST',
      headers: { ...reviewer().headers, traceparent: `00-${traceId}-${callerSpan}-01`, tracestate: 'vendor=abc' },
      body: JSON.stringify({ verdict: 'fraud', note: 'stolen card' }),
    });
    expect(res.status).toBe(200);
    const order = ((await res.json()) as { data: FlaggedOrder }).data;
    expect(order.cs_event_id).not.toBeNull();
    await waitFor(() => (h.stub.reports.some((r) => r.order_id === id) ? true : undefined), 20_000, 'the report');
    const job = await h.domains.queues.queue(h.domains.risk.reportQueue.name).getJob(`risk-report:${id}`);
    await waitFor(async () => (await job?.isCompleted()) || undefined, 20_000, 'the job to complete');

    await flushTraces();
    const zeusSpan = await receiver.waitForSpan(traceId, (s) => s.name === 'zeus/report_suspicious');
    const spans = receiver.trace(traceId);

    const server = spans.find((s) => s.kind === SERVER);
    expect(server).toMatchObject({
      service: 'tandem',
      name: 'POST /api/risk/orders/:order_id/review',
      parentSpanId: callerSpan,
      attributes: expect.objectContaining({
        'http.request.method': 'POST',
        'http.route': '/api/risk/orders/:order_id/review',
        'http.response.status_code': 200,
        'url.path': `/api/risk/orders/${id}/review`,
      }) as unknown,
    });
    const serverSpan = server as ReceivedSpan;
    // The answer names the server span, as a THeader reply does.
    expect(res.headers.get('traceresponse')).toBe(`00-${traceId}-${serverSpan.spanId}-01`);
    // The service operation is a span of its own below the door's; the event it opens is one below that.
    const review = spans.find((s) => s.name === 'risk.review.review');
    expect(review).toMatchObject({
      parentSpanId: serverSpan.spanId,
      attributes: { 'tandem.operation': 'risk.review.review' },
    });
    const opened = spans.find((s) => s.name === 'cs.events.createWithin');
    expect(ancestors(spans, opened as ReceivedSpan).map((a) => a.spanId)).toContain(review?.spanId);
    // Every span of the request is below the server span; the session and the stats are read from Redis.
    const queries = spans.filter((s) => s.attributes['db.system.name'] === 'mysql');
    expect(queries.length).toBeGreaterThan(0);
    for (const q of queries) {
      expect(q.kind).toBe(CLIENT);
      expect(q.attributes['db.query.text']).not.toMatch(/stolen card/);
    }
    expect(queries.some((q) => q.name === 'mysql INSERT')).toBe(true);
    const insert = queries.find(
      (q) => q.name === 'mysql INSERT' && q.attributes['db.query.text']?.toString().includes('cs_event'),
    );
    expect(ancestors(spans, insert as ReceivedSpan).map((a) => a.spanId)).toContain(review?.spanId);
    const redis = spans.filter((s) => s.attributes['db.system.name'] === 'redis');
    expect(redis.length).toBeGreaterThan(0);
    for (const s of [...queries, ...redis])
      expect(ancestors(spans, s).map((a) => a.spanId)).toContain(serverSpan.spanId);

    const publish = spans.find((s) => s.kind === PRODUCER);
    expect(publish).toMatchObject({
      name: 'risk-report publish',
      attributes: expect.objectContaining({
        'messaging.system': 'bull',
        'messaging.destination.name': 'risk-report',
      }) as unknown,
    });
    expect(ancestors(spans, publish as ReceivedSpan).map((a) => a.spanId)).toContain(serverSpan.spanId);
    const run = spans.find((s) => s.kind === CONSUMER);
    expect(run).toMatchObject({
      name: 'risk-report process',
      parentSpanId: publish?.spanId,
      attributes: expect.objectContaining({
        'messaging.message.id': `risk-report:${id}`,
        'tandem.job.attempt': 1,
      }) as unknown,
    });
    expect(zeusSpan).toMatchObject({
      kind: CLIENT,
      attributes: expect.objectContaining({
        'rpc.system': 'apache_thrift',
        'rpc.service': 'zeus',
        'rpc.method': 'report_suspicious',
        'server.port': h.stub.port,
      }) as unknown,
    });
    expect(ancestors(spans, zeusSpan).map((a) => a.spanId)).toContain(run?.spanId);
    expect(spans.find((s) => s.name === 'risk.review.report')).toMatchObject({ parentSpanId: run?.spanId });
    // zeus got the trace: the report's THeader names the client span as its parent, sampled.
    const reported = h.stub.callsOf('report_suspicious').find((c) => c.headers.traceparent?.includes(traceId));
    expect(reported?.headers.traceparent).toBe(`00-${traceId}-${zeusSpan.spanId}-01`);
    expect(reported?.headers.tracestate).toBe('vendor=abc');

    // The log lines: the access line names the server span, the job's line its run's span.
    const access = await h.logs.find((l) => l.message === 'http access' && l.trace_id === traceId);
    expect(access).toMatchObject({ span_id: serverSpan.spanId, status: 200 });
    const done: LogLine = await h.logs.find((l) => l.message === 'job done' && l.trace_id === traceId);
    expect(done.span_id).toBe(run?.spanId);
  });

  itWithPythonThrift('tracing.test.ts', 'thrift.protocol.THeaderProtocol')(
    'when a THeader call brings a traceparent, then its span continues the caller’s trace and the reply names it',
    async () => {
      const h = harness();
      const traceId = newTraceId();
      const callerSpan = newSpanId();
      const [answer] = await runCallClient(h.app.thrift.port, 'header', 'binary', ['get_cs_event:1'], {
        traceparent: `00-${traceId}-${callerSpan}-01`,
        'service-name': 'order-svc',
      });
      await flushTraces();
      const server = await receiver.waitForSpan(traceId, (s) => s.kind === SERVER);
      expect(server).toMatchObject({
        name: 'get_cs_event',
        parentSpanId: callerSpan,
        attributes: expect.objectContaining({ 'rpc.system': 'apache_thrift', 'rpc.method': 'get_cs_event' }) as unknown,
      });
      expect(answer?.headers?.traceparent).toBe(`00-${traceId}-${server.spanId}-01`);
      const spans = receiver.trace(traceId);
      const operation = spans.find((s) => s.name === 'cs.events.get');
      expect(operation?.parentSpanId).toBe(server.spanId);
      const queries = spans.filter((s) => s.attributes['db.system.name'] === 'mysql');
      expect(queries.length).toBeGreaterThan(0);
      for (const q of queries) expect(ancestors(spans, q).map((a) => a.spanId)).toContain(operation?.spanId);
      const access = await h.logs.find((l) => l.message === 'thrift access' && l.trace_id === traceId);
      expect(access.span_id).toBe(server.spanId);
    },
  );
});

describe('with trace.otlp_url empty (the default)', () => {
  const receiver = new OtlpReceiver();
  let app: RunningApp | undefined;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    await receiver.start();
    const db = await freshDatabase();
    drop = db.drop;
    app = await startTestApp({
      mysql: { database: db.database },
      redis: { key_prefix: freshRedisPrefix() },
      log: { level: 'info', access: true },
    });
  });
  afterAll(async () => {
    await app?.stop();
    await drop?.();
    await receiver.stop();
  });

  it('when requests come with a traceparent, then no span is exported and log lines carry no trace ids', async () => {
    const running = app as RunningApp;
    const logs = captureLogs();
    const traceId = newTraceId();
    const who = await loginAs(running, ['cs_agent']);
    const res = await call(running, 'GET', '/api/auth/me', {
      ...who,
      headers: { ...who.headers, traceparent: `00-${traceId}-${newSpanId()}-01` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('traceresponse')).toBeNull();
    await flushTraces();
    const access = await logs.find((l) => l.message === 'http access' && l.path === '/api/auth/me');
    // The request id still follows the traceparent, as it did before tracing existed.
    expect(access.request_id).toBe(traceId);
    expect(access.trace_id).toBeUndefined();
    expect(access.span_id).toBeUndefined();
    // Longer than the on-case's export delay: a batch would have left by now.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.requests).toBe(0);
  });
});
