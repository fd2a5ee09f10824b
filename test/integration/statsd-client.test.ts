import { Statsd } from '../../src/core/monitor/statsd';
import { listenStatsd, type StatsdListener } from '../helpers/statsd-listener';
import { waitFor } from '../helpers/wait';

let listener: StatsdListener;

beforeAll(async () => {
  listener = await listenStatsd();
});

afterAll(async () => {
  await listener.close();
});

describe('Statsd', () => {
  it('when turned off, then nothing is sent and no client holds the metrics; turned on again, lines arrive', async () => {
    const prefix = `off-${process.pid}.`;
    const statsd = new Statsd({ host: '127.0.0.1', port: listener.port, prefix, enabled: false });
    try {
      for (let i = 0; i < 5000; i += 1) statsd.timing('http.GET.ping.2xx', 1);
      statsd.increment('errors');
      // Without a client there is nothing that could keep the 5000 lines (hot-shots' mock mode keeps them all).
      expect(statsd.enabled).toBe(false);

      statsd.reconfigure({ host: '127.0.0.1', port: listener.port, prefix, enabled: true });
      expect(statsd.enabled).toBe(true);
      statsd.timing('marker', 2);
      await waitFor(() => listener.lines.find((l) => l === `${prefix}marker:2|ms`), 5000, 'the marker line');

      expect(listener.lines.filter((l) => l.startsWith(prefix))).toEqual([`${prefix}marker:2|ms`]);
    } finally {
      await statsd.close();
    }
  });

  it('when a timing has more digits than 10 µs, then it is sent rounded to hundredths of a millisecond', async () => {
    const prefix = `round-${process.pid}.`;
    const statsd = new Statsd({ host: '127.0.0.1', port: listener.port, prefix, enabled: true });
    try {
      statsd.timing('fine', 0.052381699);
      statsd.timing('coarse', 12.3456);
      statsd.timing('whole', 7);
      await waitFor(() => listener.lines.find((l) => l.startsWith(`${prefix}whole`)), 5000, 'the last line');

      expect(listener.lines.filter((l) => l.startsWith(prefix))).toEqual([
        `${prefix}fine:0.05|ms`,
        `${prefix}coarse:12.35|ms`,
        `${prefix}whole:7|ms`,
      ]);
    } finally {
      await statsd.close();
    }
  });

  it('when closed, then later metrics are dropped without an error', async () => {
    const statsd = new Statsd({ host: '127.0.0.1', port: listener.port, prefix: 'closed.', enabled: true });
    await statsd.close();

    expect(() => statsd.timing('late', 1)).not.toThrow();
    expect(statsd.enabled).toBe(false);
  });
});
