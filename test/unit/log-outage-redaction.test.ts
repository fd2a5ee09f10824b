import { logger, REDACT_CUT, REDACT_MAX_VALUES, redactSecrets } from '../../src/core/log';
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

describe('the cost of redaction', () => {
  it('when nothing below the top level is secret, then the logged objects are written as they are, not copied', () => {
    const nested = { a: { b: [1, 2, { c: 'x' }] }, list: [[{ d: 1 }], 'plain'] };
    expect(redactSecrets(nested)).toBe(nested);
    const withSecret = { a: { b: { token: 't' } }, other: { e: 1 } };
    const redacted = redactSecrets(withSecret) as typeof withSecret;
    expect(redacted).toEqual({ a: { b: { token: '[redacted]' } }, other: { e: 1 } });
    // Only the path to the secret is copied.
    expect(redacted.other).toBe(withSecret.other);
    expect(withSecret.a.b.token).toBe('t');
  });

  it('when a logged field is huge, then the walk stops at its budget, cuts the rest, and no secret past it is written', async () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => ({ i }));
    rows.push({ i: -1, password: 'late-secret' } as { i: number });
    const wide: Record<string, unknown> = {};
    for (let i = 0; i < 50_000; i += 1) wide[`k${i}`] = i;
    wide.token = 'late-token';
    logger.info('huge', { rows, wide });
    const line = await logs.find((l) => l.message === 'huge');
    const text = JSON.stringify(line);
    expect(text).not.toContain('late-secret');
    expect(text).not.toContain('late-token');
    const logged = line.rows as unknown[];
    // Each row costs two values (the row and its key), so the budget ends within the first 5,000 rows.
    expect(logged.length).toBeLessThanOrEqual(REDACT_MAX_VALUES / 2 + 1);
    expect(logged[logged.length - 1]).toBe(REDACT_CUT);
    // The budget is per line: the second field, met after it was spent, is one cut.
    expect(line.wide).toEqual({ '[cut]': REDACT_CUT });
    expect(rows).toHaveLength(100_001);
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
