import { retryWhileSettling, settleUntil } from '../../src/core/db/redis';

/** An operation that fails `failures` times (with errors numbered from 1), then answers `ok`. */
function failing(failures: number): { op: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    op: () => {
      calls += 1;
      return calls <= failures ? Promise.reject(new Error(`failure ${calls}`)) : Promise.resolve('ok');
    },
    calls: () => calls,
  };
}

describe('retryWhileSettling', () => {
  it('when the operation fails a few times within the window, then it is tried again until it answers', async () => {
    const { op, calls } = failing(2);

    await expect(retryWhileSettling(Date.now() + 2000, op)).resolves.toBe('ok');
    expect(calls()).toBe(3);
  });

  it('when the window ends first, then the last failure is thrown', async () => {
    const { op, calls } = failing(100);

    await expect(retryWhileSettling(Date.now() + 250, op)).rejects.toThrow(`failure`);
    expect(calls()).toBeGreaterThan(1);
    expect(calls()).toBeLessThan(100);
  });

  it('when the window is now, then the operation is tried once', async () => {
    const { op, calls } = failing(1);

    await expect(retryWhileSettling(Date.now(), op)).rejects.toThrow('failure 1');
    expect(calls()).toBe(1);
  });

  it('when a failure is an answer (a limit refused), then it is thrown at once, not tried again', async () => {
    const { op, calls } = failing(1);

    await expect(retryWhileSettling(Date.now() + 2000, op, () => true)).rejects.toThrow('failure 1');
    expect(calls()).toBe(1);
  });
});

describe('settleUntil', () => {
  it('when there is no settle time or no deadline, then the window is now: one try', () => {
    const before = Date.now();
    expect(settleUntil(0, before + 10_000)).toBeLessThanOrEqual(Date.now());
    expect(settleUntil(3000, undefined)).toBeLessThanOrEqual(Date.now());
    expect(settleUntil(3000, undefined)).toBeGreaterThanOrEqual(before);
  });

  it('when the deadline comes before the settle time, then the window ends before the deadline, leaving the answer its reserve', () => {
    const deadline = Date.now() + 1000;
    expect(settleUntil(3000, deadline)).toBeLessThan(deadline);
    expect(settleUntil(3000, deadline)).toBeGreaterThan(deadline - 1000);
  });

  it('when the settle time ends first, then it bounds the window', () => {
    const before = Date.now();
    const until = settleUntil(500, before + 60_000);
    expect(until).toBeGreaterThanOrEqual(before + 500);
    expect(until).toBeLessThanOrEqual(Date.now() + 500);
  });
});
