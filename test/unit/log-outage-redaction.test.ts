import { logger } from '../../src/core/log';
import { dependencyOfCode, OutageLog } from '../../src/core/log/outage';
import { ThrottledWarning } from '../../src/core/log/throttled-warning';
import { captureLogs, type LogCapture } from '../helpers/log-capture';

let logs: LogCapture;

beforeEach(() => {
  logs = captureLogs();
});

describe('redaction in log lines', () => {
  it('when a secret sits in nested objects and arrays, then every level is redacted and the caller keeps its object', async () => {
    const logged = {
      request: { headers: { authorization: 'Bearer abc', accept: 'json' }, body: [{ user: 'ann', password: 'p1' }] },
      deep: { a: { b: { c: { d: { token: 't0' } } } } },
      list: [[{ api_key: 'k1' }], 'plain'],
    };
    logger.info('nested secrets', logged);
    const line = await logs.find((l) => l.message === 'nested secrets');
    const text = JSON.stringify(line);
    for (const secret of ['Bearer abc', 'p1', 't0', 'k1']) expect(text).not.toContain(secret);
    expect(line.request).toEqual({
      headers: { authorization: '[redacted]', accept: 'json' },
      body: [{ user: 'ann', password: '[redacted]' }],
    });
    expect(line.list).toEqual([[{ api_key: '[redacted]' }], 'plain']);
    expect(logged.request.headers.authorization).toBe('Bearer abc');
  });

  it('when a logged object holds a cycle, then the line is written with the cycle cut', async () => {
    const cyclic: Record<string, unknown> = { name: 'loop', secret: 's' };
    cyclic.self = cyclic;
    logger.info('cyclic', { cyclic });
    const line = await logs.find((l) => l.message === 'cyclic');
    expect(line.cyclic).toEqual({ name: 'loop', secret: '[redacted]', self: '[circular]' });
  });
});

describe('outage log', () => {
  it('maps error codes to the dependency they blame', () => {
    expect([200, 201, 202, 300, 400, 100, 500, 1].map(dependencyOfCode)).toEqual([
      undefined,
      'mysql',
      'mysql',
      'redis',
      'mongodb',
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('when a dependency fails for many requests, then one line down, a reminder with the count, one line back', async () => {
    const outages = new OutageLog(200);
    for (let i = 0; i < 500; i += 1) outages.requestFailed('redis', new Error('Command timed out'));
    expect(outages.isDown('redis')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 250));
    outages.requestFailed('redis', new Error('Command timed out'));
    outages.up('redis');
    outages.up('redis');
    await logs.find((l) => l.message === 'redis is back');
    const lines = logs.lines.filter((l) => l.dependency === 'redis');
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ['error', 'redis is down; what needs it answers 503 until it is back'],
      ['warn', 'redis is still down'],
      ['info', 'redis is back'],
    ]);
    expect(lines[1]?.failed_requests).toBe(500);
    expect(lines[2]?.failed_requests).toBe(501);
  });

  it('when a throttled warning names a dependency, then its failures join that outage instead of a line of their own', async () => {
    const warning = new ThrottledWarning('cache down', undefined, 0, 'mongodb');
    warning.warn({ error: 'refused' });
    warning.warn({ error: 'refused' });
    await logs.find((l) => l.dependency === 'mongodb');
    expect(logs.lines.filter((l) => l.message === 'cache down')).toHaveLength(0);
    expect(logs.lines.filter((l) => l.dependency === 'mongodb')).toHaveLength(1);
  });
});
