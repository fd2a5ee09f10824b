import { RecentlyDone } from '../../src/core/async/recently-done';

describe('RecentlyDone', () => {
  it('when a job finished within the window, then it is known with how long ago; past the window it is forgotten', () => {
    const done = new RecentlyDone(1000);
    done.finished('a', 10_000);

    expect(done.finishedAgo('a', 10_400)).toBe(400);
    expect(done.finishedAgo('b', 10_400)).toBeUndefined();
    expect(done.finishedAgo('a', 11_001)).toBeUndefined();
  });

  it('when more jobs finish than it keeps, then the oldest are forgotten first', () => {
    const done = new RecentlyDone(60_000, 2);
    done.finished('a', 1);
    done.finished('b', 2);
    done.finished('c', 3);

    expect(done.finishedAgo('a', 4)).toBeUndefined();
    expect(done.finishedAgo('b', 4)).toBe(2);
    expect(done.finishedAgo('c', 4)).toBe(1);
  });

  it('when a job finishes again, then its time is the latest and it is kept as the newest', () => {
    const done = new RecentlyDone(60_000, 2);
    done.finished('a', 1);
    done.finished('b', 2);
    done.finished('a', 3);
    done.finished('c', 4);

    expect(done.finishedAgo('b', 5)).toBeUndefined();
    expect(done.finishedAgo('a', 5)).toBe(2);
  });
});
