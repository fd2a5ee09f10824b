import { applyTransition, assertChangeable, escalatedPriority } from '../../src/service/cs/cs-state';
import { createdRange } from '../../src/service/cs/inner/cs-event-inner';
import { CS_STATUSES, type CsStatus } from '../../src/service/cs/cs-types';
import { UserError } from '../../src/exception';

const OPEN: CsStatus[] = CS_STATUSES.filter((s) => s !== 'done');

/** The UserError a call throws; fails the test when it does not throw one. */
function thrown(fn: () => unknown): UserError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
  throw new Error('expected a UserError, but nothing was thrown');
}

describe('applyTransition', () => {
  const moves = OPEN.flatMap((from) => CS_STATUSES.filter((to) => to !== from).map((to) => [from, to] as const));

  it.each(moves)('when an event in %s moves to %s, then the new status is returned', (from, to) => {
    const next = applyTransition(
      { id: 1, status: from, handler_id: 10 },
      { to, handler_id: to === 'forward' ? 20 : undefined },
    );

    expect(next.status).toBe(to);
  });

  it.each(OPEN.filter((s) => s !== 'forward'))('when an event moves to %s, then its handler stays the same', (to) => {
    const from: CsStatus = to === 'pending' ? 'remain' : 'pending';

    const next = applyTransition({ id: 1, status: from, handler_id: 10 }, { to, handler_id: 99 });

    expect(next).toEqual({ status: to, handler_id: 10 });
  });

  it('when an event is forwarded with a handler, then that handler takes it over', () => {
    const next = applyTransition({ id: 1, status: 'pending', handler_id: 10 }, { to: 'forward', handler_id: 20 });

    expect(next).toEqual({ status: 'forward', handler_id: 20 });
  });

  it('when an event is forwarded without a handler, then CS_FORWARD_NEEDS_HANDLER names handler_id', () => {
    const err = thrown(() => applyTransition({ id: 1, status: 'pending', handler_id: 10 }, { to: 'forward' }));

    expect(err.errorName).toBe('CS_FORWARD_NEEDS_HANDLER');
    expect(err.code).toBe(1103);
    expect(err.fields.map((f) => f.field)).toEqual(['handler_id']);
  });

  it.each(OPEN)('when an event in %s moves to the status it has, then CS_SAME_STATUS (1102)', (status) => {
    const err = thrown(() => applyTransition({ id: 7, status, handler_id: 10 }, { to: status, handler_id: 20 }));

    expect(err.errorName).toBe('CS_SAME_STATUS');
    expect(err.code).toBe(1102);
    expect(err.message).toContain('7');
  });

  it.each(CS_STATUSES)(
    'when a done event is asked to move to %s, then CS_EVENT_DONE (1101), before any other rule',
    (to) => {
      const err = thrown(() => applyTransition({ id: 7, status: 'done', handler_id: 10 }, { to }));

      expect(err.errorName).toBe('CS_EVENT_DONE');
      expect(err.code).toBe(1101);
    },
  );
});

describe('assertChangeable', () => {
  it.each(OPEN)('when the event is %s, then it may change', (status) => {
    expect(() => assertChangeable({ id: 1, status })).not.toThrow();
  });

  it('when the event is done, then CS_EVENT_DONE names the event', () => {
    const err = thrown(() => assertChangeable({ id: 42, status: 'done' }));

    expect(err.code).toBe(1101);
    expect(err.message).toContain('42');
  });
});

describe('escalatedPriority', () => {
  it('when a priority is escalated, then it goes up one step and stops at 3', () => {
    expect([0, 1, 2, 3].map(escalatedPriority)).toEqual([1, 2, 3, 3]);
  });
});

describe('createdRange', () => {
  it('when no dates are given, then the range is open on both sides', () => {
    expect(createdRange()).toEqual({});
  });

  it('when a start date is given, then the range starts at its UTC midnight, inclusive', () => {
    expect(createdRange('2024-03-10')).toEqual({ gte: new Date('2024-03-10T00:00:00.000Z') });
  });

  it('when an end date is given, then the whole end day is included: the bound is the next UTC midnight, exclusive', () => {
    expect(createdRange(undefined, '2024-03-10')).toEqual({ lt: new Date('2024-03-11T00:00:00.000Z') });
  });

  it('when the end date is the last day of a month or year, then the bound rolls over to the next month or year', () => {
    expect(createdRange(undefined, '2024-02-29').lt).toEqual(new Date('2024-03-01T00:00:00.000Z'));
    expect(createdRange(undefined, '2023-12-31').lt).toEqual(new Date('2024-01-01T00:00:00.000Z'));
  });

  it('when start and end are the same day, then exactly that day is covered', () => {
    const range = createdRange('2024-03-10', '2024-03-10');

    expect(range).toEqual({ gte: new Date('2024-03-10T00:00:00.000Z'), lt: new Date('2024-03-11T00:00:00.000Z') });
  });
});
