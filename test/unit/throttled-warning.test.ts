import { ThrottledWarning } from '../../src/core/log/throttled-warning';
import { captureLogs, type LogCapture } from '../helpers/log-capture';

let logs: LogCapture;
let now = 1_000_000;

beforeEach(() => {
  logs = captureLogs();
  // The interval is read from Date.now(): moved by hand, so the test neither waits a minute nor depends on speed.
  jest.spyOn(Date, 'now').mockImplementation(() => now);
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('ThrottledWarning', () => {
  it('when it fires 5 times within the interval and once after, then 2 lines are written, the second saying 4 were held back', async () => {
    const warning = new ThrottledWarning('flood', undefined, 60_000);

    for (let i = 0; i < 5; i += 1) warning.warn({ n: i });
    now += 60_000;
    warning.warn({ n: 5 });

    await logs.find((l) => l.message === 'flood' && l.n === 5);
    const lines = logs.lines.filter((l) => l.message === 'flood');
    expect(lines.map((l) => [l.n, l.suppressed])).toEqual([
      [0, undefined],
      [5, 4],
    ]);
  });

  it('when it is given the info level, then its lines are written at info', async () => {
    const warning = new ThrottledWarning('idle', undefined, 60_000, undefined, 'info');

    warning.warn({});

    expect((await logs.find((l) => l.message === 'idle')).level).toBe('info');
  });
});
