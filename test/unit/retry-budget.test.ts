import { RetryBudget } from '../../thirdparty/base/retry-budget';

/** A budget on a hand-moved clock. */
function budgetAt(percent: number, minPerSecond: number): { budget: RetryBudget; tick: (ms: number) => void } {
  let now = 1_000_000;
  const budget = new RetryBudget({ percent, minPerSecond, windowMs: 10_000, now: () => now });
  return { budget, tick: (ms) => (now += ms) };
}

function retriesAllowed(budget: RetryBudget, asked: number): number {
  let allowed = 0;
  for (let i = 0; i < asked; i += 1) if (budget.tryRetry()) allowed += 1;
  return allowed;
}

describe('RetryBudget (a share of the calls plus a few per second)', () => {
  it('when no call was made, then only the per-second reserve over the window may be retried', () => {
    const { budget } = budgetAt(20, 3);
    expect(retriesAllowed(budget, 100)).toBe(30);
    expect(budget.stats()).toEqual({ calls: 0, retries: 30, refused: 70 });
  });

  it('when 1000 calls were made, then 20% of them plus the reserve may be retried, and no more', () => {
    const { budget } = budgetAt(20, 3);
    for (let i = 0; i < 1000; i += 1) budget.recordCall();
    expect(retriesAllowed(budget, 1000)).toBe(200 + 30);
    expect(budget.tryRetry()).toBe(false);
  });

  it('when the reserve is 0, then a retry needs five calls at 20%', () => {
    const { budget } = budgetAt(20, 0);
    for (let i = 0; i < 4; i += 1) budget.recordCall();
    expect(budget.tryRetry()).toBe(false);
    budget.recordCall();
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(false);
  });

  it('when the window has passed, then spent retries and old calls are forgotten', () => {
    const { budget, tick } = budgetAt(20, 1);
    for (let i = 0; i < 100; i += 1) budget.recordCall();
    expect(retriesAllowed(budget, 100)).toBe(30);
    tick(5_000);
    expect(budget.tryRetry()).toBe(false);
    tick(5_001);
    // Calls and retries both left the window: the reserve alone is back.
    expect(retriesAllowed(budget, 100)).toBe(10);
  });

  it('when the clock jumps far ahead, then the budget is the reserve again', () => {
    const { budget, tick } = budgetAt(50, 2);
    for (let i = 0; i < 10; i += 1) budget.recordCall();
    retriesAllowed(budget, 100);
    tick(3_600_000);
    expect(budget.balance()).toBe(20);
  });
});
