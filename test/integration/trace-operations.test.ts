import { flushTraces, inSpan, SpanKind, startTracing, stopTracing, traceOperations } from '../../src/core/trace';
import { OtlpReceiver } from '../helpers/otlp-receiver';

/**
 * traceOperations, with spans read back as an OTLP receiver gets them: each
 * method of a service is a span below the caller's, ended when its result
 * settles (an error marks it), the service's calls to itself are not spans,
 * and with tracing off the service is handed back as it is.
 */

class Ledger {
  entries: string[] = [];

  async add(entry: string): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.entries.push(entry);
    return this.count();
  }

  count(): number {
    return this.entries.length;
  }

  async refuse(): Promise<void> {
    await Promise.resolve();
    throw new Error('refused on purpose');
  }

  explode(): never {
    throw new TypeError('thrown synchronously');
  }
}

const ERROR = 2;

describe('with tracing on', () => {
  const receiver = new OtlpReceiver();
  beforeAll(async () => {
    const url = await receiver.start();
    startTracing(
      { otlp_url: url, sample_ratio: 1, export_delay_ms: 50 },
      { service: 'ops-test', version: '0', env: 'test' },
      () => undefined,
    );
  });
  afterAll(async () => {
    await stopTracing();
    await receiver.stop();
  });

  it('when a traced service is called under a span, then each call is a child span ended by its outcome, and its own calls are not spans', async () => {
    const ledger = new Ledger();
    const traced = traceOperations('books.ledger', ledger);
    let traceId = '';
    let parentId = '';

    await inSpan('request', SpanKind.SERVER, {}, async (span) => {
      traceId = span?.spanContext().traceId ?? '';
      parentId = span?.spanContext().spanId ?? '';
      expect(await traced.add('one')).toBe(1);
      expect(traced.count()).toBe(1);
      await expect(traced.refuse()).rejects.toThrow('refused on purpose');
      expect(() => traced.explode()).toThrow(TypeError);
    });
    await flushTraces();
    await receiver.waitForSpan(traceId, (s) => s.name === 'request');

    const spans = receiver.trace(traceId);
    expect(spans.map((s) => s.name).sort()).toEqual(
      ['books.ledger.add', 'books.ledger.count', 'books.ledger.explode', 'books.ledger.refuse', 'request'].sort(),
    );
    for (const s of spans.filter((x) => x.name !== 'request')) {
      expect(s).toMatchObject({ parentSpanId: parentId, kind: 1, attributes: { 'tandem.operation': s.name } });
    }
    expect(
      spans
        .filter((s) => s.status === ERROR)
        .map((s) => s.name)
        .sort(),
    ).toEqual(['books.ledger.explode', 'books.ledger.refuse']);
    // The state is the service's own: the face reads and changes the same object.
    expect(ledger.entries).toEqual(['one']);
    expect(traced).toBeInstanceOf(Ledger);
  });

  it('when a traced service is called outside any span, then no trace is started for it', async () => {
    const before = receiver.spans.length;
    const traced = traceOperations('books.ledger', new Ledger());

    await traced.add('alone');
    await flushTraces();

    expect(receiver.spans.slice(before).filter((s) => s.name.startsWith('books.'))).toEqual([]);
  });
});

describe('with tracing off', () => {
  it('when a service is traced, then it is handed back as it is: nothing wraps its calls', () => {
    const ledger = new Ledger();

    expect(traceOperations('books.ledger', ledger)).toBe(ledger);
  });
});
