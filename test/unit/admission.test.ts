import { Admission } from '../../src/core/pipeline';
import { eventLoopLag } from '../../src/core/pipeline/event-loop-lag';
import { prom } from '../../src/core/monitor';

const LIMITS = { maxInFlight: 3, callerMaxInFlight: 2, maxLagMs: 0, retryAfterSeconds: 4 };

async function shedCount(door: string, reason: string): Promise<number> {
  const metric = await prom.shedTotal.get();
  return metric.values.find((v) => v.labels.door === door && v.labels.reason === reason)?.value ?? 0;
}

describe('Admission', () => {
  it('when the door is at maxInFlight, then the next request is OVERLOADED (102, Retry-After 4) and counted, and a release admits one again', async () => {
    const admission = new Admission('http', LIMITS);
    const before = await shedCount('http', 'door');

    const admitted = [admission.admit(), admission.admit(), admission.admit()];
    const refused = admission.admit();
    admission.release();
    const again = admission.admit();

    expect(admitted).toEqual([undefined, undefined, undefined]);
    expect(refused).toMatchObject({ errorName: 'OVERLOADED', code: 102, kind: 'ServerError' });
    expect(refused?.params).toMatchObject({ retry_after: 4, reason: 'door' });
    expect(again).toBeUndefined();
    expect(admission.size).toBe(3);
    expect(await shedCount('http', 'door')).toBe(before + 1);
  });

  it('when one caller is at callerMaxInFlight, then it is shed for reason caller while another caller is admitted', () => {
    const admission = new Admission('thrift', { ...LIMITS, maxInFlight: 10 });

    expect([admission.admit('a'), admission.admit('a')]).toEqual([undefined, undefined]);
    expect(admission.admit('a')?.params.reason).toBe('caller');
    expect(admission.admit('b')).toBeUndefined();
    admission.release('a');
    expect(admission.admit('a')).toBeUndefined();
    expect(admission.size).toBe(3);
  });

  it('when a caller has released all its calls, then it holds no entry (a caller seen once does not stay in memory)', () => {
    const admission = new Admission('thrift', { ...LIMITS, maxInFlight: 0 });
    for (let i = 0; i < 100; i += 1) {
      expect(admission.admit(`caller-${i}`)).toBeUndefined();
      admission.release(`caller-${i}`);
    }
    // Every caller could come back up to its limit: no leftover counts.
    expect([admission.admit('caller-7'), admission.admit('caller-7')]).toEqual([undefined, undefined]);
    expect(admission.size).toBe(2);
    expect((admission as unknown as { perCaller: Map<string, number> }).perCaller.size).toBe(1);
  });

  it('when the loop lag sampled is past maxLagMs, then requests are shed for reason lag, and admitted once it falls back', () => {
    const admission = new Admission('http', { ...LIMITS, maxLagMs: 50 });
    try {
      eventLoopLag.lastMs = 80;
      const shed = admission.admit();
      eventLoopLag.lastMs = 5;
      const admitted = admission.admit();

      expect(shed?.params.reason).toBe('lag');
      expect(admitted).toBeUndefined();
    } finally {
      admission.close();
    }
  });

  it('when every limit is 0, then nothing is ever shed', () => {
    const admission = new Admission('http', {
      maxInFlight: 0,
      callerMaxInFlight: 0,
      maxLagMs: 0,
      retryAfterSeconds: 1,
    });
    eventLoopLag.lastMs = 10_000;
    for (let i = 0; i < 1000; i += 1) expect(admission.admit('x')).toBeUndefined();
    eventLoopLag.lastMs = 0;
  });
});
