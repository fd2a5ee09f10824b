import fs from 'node:fs';
import path from 'node:path';
import { StatsD } from 'hot-shots';
import { Statsd } from '../../src/core/monitor/statsd';
import { runCommand } from '../helpers/command';
import { listenStatsd, type StatsdListener } from '../helpers/statsd-listener';
import { waitFor } from '../helpers/wait';

let listener: StatsdListener;

beforeAll(async () => {
  listener = await listenStatsd();
});

afterAll(async () => {
  await listener.close();
});

/**
 * Waits for the expected lines, then checks the packets they came in (from index `from`): the lines
 * whole and in order, no packet over 1400 bytes, and every packet but the last sent only because its
 * next line no longer fitted.
 */
async function expectFilledPackets(from: number, expected: string[]): Promise<void> {
  const last = expected[expected.length - 1];
  await waitFor(() => listener.lines.find((l) => l === last), 5000, 'the last line');
  const packets = listener.packets.slice(from).map((p) => p.toString('utf8'));
  expect(packets.flatMap((p) => p.split('\n'))).toEqual(expected);
  expect(packets.length).toBeGreaterThan(10);
  for (const [i, packet] of packets.entries()) {
    expect(Buffer.byteLength(packet)).toBeLessThanOrEqual(1400);
    const next = packets[i + 1];
    if (next !== undefined) {
      expect(Buffer.byteLength(packet) + 1 + Buffer.byteLength(next.split('\n')[0] as string)).toBeGreaterThan(1400);
    }
  }
}

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

  it('when many metrics are sent at once, then they arrive whole and in order, in packets filled up to 1400 bytes', async () => {
    // hot-shots is patched (patches/hot-shots+17.1.1.patch) to keep its buffer's size as a running total:
    // a total that drifted low would overfill a packet, one that drifted high would send it half empty.
    const prefix = `fill-${process.pid}.`;
    const statsd = new Statsd({ host: '127.0.0.1', port: listener.port, prefix, enabled: true });
    const from = listener.packets.length;
    const expected: string[] = [];
    try {
      for (let i = 0; i < 400; i += 1) {
        const name = `http.GET.${'route'.repeat(i % 7)}${i}.2xx`;
        statsd.timing(name, i / 7);
        expected.push(`${prefix}${name}:${Math.round((i / 7) * 100) / 100}|ms`);
      }
      await expectFilledPackets(from, expected);
    } finally {
      await statsd.close();
    }
  });

  it('when a child client shares the buffer and names are not ASCII, then packets are still whole and filled', async () => {
    // The patched running total is measured again when the other client wrote to the shared buffer.
    const parent = new StatsD({ host: '127.0.0.1', port: listener.port, prefix: 'pé.', maxBufferSize: 1400 });
    const child = parent.childClient({ prefix: 'enfant.' });
    const from = listener.packets.length;
    const expected: string[] = [];
    try {
      for (let i = 0; i < 600; i += 1) {
        const client = i % 3 === 0 ? child : parent;
        const name = `requête.${'é'.repeat(i % 11)}${i}`;
        client.timing(name, i);
        expected.push(`${client === child ? 'enfant.pé.' : 'pé.'}${name}:${i}|ms`);
      }
      await expectFilledPackets(from, expected);
    } finally {
      await new Promise<void>((resolve) => parent.close(() => resolve()));
    }
  });

  it('the installed hot-shots carries patches/hot-shots+17.1.1.patch (patch-package ran after the install)', () => {
    const source = fs.readFileSync(path.join(path.dirname(require.resolve('hot-shots')), 'lib', 'statsd.js'), 'utf8');
    expect(source).toContain('this.bufferLength += messageBytes;');
    expect(source).toContain('const debug = debuglog.enabled ? debuglog : function noop() {};');
  });

  it('when NODE_DEBUG names hot-shots, then its debug lines are still written; otherwise not', async () => {
    const script = [
      "const { StatsD } = require('hot-shots');",
      "const c = new StatsD({ host: '127.0.0.1', port: 9, maxBufferSize: 1400, errorHandler: () => {} });",
      "c.timing('probe', 1);",
      'c.close(() => {});',
    ].join(' ');
    const withDebug = await runCommand(process.execPath, ['-e', script], { NODE_DEBUG: 'hot-shots' });
    const without = await runCommand(process.execPath, ['-e', script], { NODE_DEBUG: '' });

    expect(withDebug.stderr).toMatch(/HOT-SHOTS \d+: hot-shots _send: enqueueing for buffer - message=probe:1\|ms/);
    expect(without.stderr).not.toMatch(/HOT-SHOTS/);
  });

  it('when closed, then later metrics are dropped without an error', async () => {
    const statsd = new Statsd({ host: '127.0.0.1', port: listener.port, prefix: 'closed.', enabled: true });
    await statsd.close();

    expect(() => statsd.timing('late', 1)).not.toThrow();
    expect(statsd.enabled).toBe(false);
  });
});
