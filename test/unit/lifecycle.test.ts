import { type Component, Lifecycle, StartStopped } from '../../src/core/app/lifecycle';
import { captureLogs } from '../helpers/log-capture';

/** A component that writes `start X` and `stop X` to `events`; its start fails when `failStart`. */
function part(events: string[], name: string, options: { failStart?: boolean; stopMs?: number } = {}): Component {
  return {
    name,
    start: () => {
      if (options.failStart) return Promise.reject(new Error(`${name} cannot start`));
      events.push(`start ${name}`);
      return Promise.resolve();
    },
    stop: async (deadlineMs) => {
      events.push(`stop ${name} (${deadlineMs > 0 ? 'with time' : 'at once'})`);
      if (options.stopMs) await new Promise((resolve) => setTimeout(resolve, options.stopMs));
      events.push(`stopped ${name}`);
    },
  };
}

describe('Lifecycle', () => {
  it('when every stage starts, then they start in order and stop in reverse, the parts of one stage stopping together', async () => {
    const events: string[] = [];
    const lifecycle = new Lifecycle([
      { what: 'connections', components: [part(events, 'db')] },
      { what: 'listeners', components: [part(events, 'http', { stopMs: 30 }), part(events, 'thrift', { stopMs: 30 })] },
      { what: 'services', components: [part(events, 'scheduler')] },
    ]);

    await lifecycle.start();
    await lifecycle.stop(5000);

    expect(events).toEqual([
      'start db',
      'start http',
      'start thrift',
      'start scheduler',
      'stop scheduler (with time)',
      'stopped scheduler',
      // Both listeners begin to stop before either has finished.
      'stop thrift (with time)',
      'stop http (with time)',
      'stopped thrift',
      'stopped http',
      'stop db (with time)',
      'stopped db',
    ]);
  });

  it('when a part fails to start, then exactly what had started is stopped, in reverse and at once, and the start rejects with the failure', async () => {
    const events: string[] = [];
    const lifecycle = new Lifecycle([
      { what: 'connections', components: [part(events, 'db')] },
      { what: 'listeners', components: [part(events, 'http'), part(events, 'thrift', { failStart: true })] },
      { what: 'services', components: [part(events, 'scheduler')] },
    ]);

    await expect(lifecycle.start()).rejects.toThrow('thrift cannot start');
    expect(events).toEqual([
      'start db',
      'start http',
      'stop http (at once)',
      'stopped http',
      'stop db (at once)',
      'stopped db',
    ]);
  });

  it('when a stage is still stopping at its share of the deadline, then it is left behind with one warning and the stages after it still stop', async () => {
    const logs = captureLogs();
    const events: string[] = [];
    const lifecycle = new Lifecycle([
      { what: 'connections', components: [part(events, 'db')] },
      { what: 'listeners', reserveMs: 100, components: [part(events, 'http', { stopMs: 2000 })] },
    ]);
    await lifecycle.start();

    const started = Date.now();
    await lifecycle.stop(300);

    expect(Date.now() - started).toBeLessThan(1500);
    expect(events).toContain('stop db (with time)');
    expect(events).not.toContain('stopped http');
    const late = logs.lines.filter((l) =>
      String(l.message).startsWith('listeners did not finish by the shutdown deadline'),
    );
    expect(late).toHaveLength(1);
  });

  it('when a part fails to stop, then the failure is logged naming it and the rest still stop', async () => {
    const logs = captureLogs();
    const events: string[] = [];
    const broken: Component = {
      name: 'broken queue',
      start: () => Promise.resolve(),
      stop: () => Promise.reject(new Error('connection reset')),
    };
    const lifecycle = new Lifecycle([
      { what: 'connections', components: [part(events, 'db')] },
      { what: 'queues', components: [broken] },
    ]);
    await lifecycle.start();

    await lifecycle.stop(1000);

    expect(events).toEqual(['start db', 'stop db (with time)', 'stopped db']);
    const line = await logs.find((l) => l.message === 'broken queue failed to stop cleanly; stopping the rest');
    expect(line.error).toBe('connection reset');
  });

  it('when a stop aborts the start while a part starts, then no later part starts, what started is stopped at once and the start rejects with StartStopped', async () => {
    const events: string[] = [];
    const abort = new AbortController();
    const slowDb: Component = {
      ...part(events, 'db'),
      start: async () => {
        events.push('start db');
        // The stop comes while this part is starting.
        abort.abort();
        await new Promise((resolve) => setTimeout(resolve, 20));
      },
    };
    const lifecycle = new Lifecycle([
      { what: 'connections', components: [part(events, 'tracing'), slowDb] },
      { what: 'listeners', components: [part(events, 'http')] },
      { what: 'services', components: [part(events, 'scheduler')] },
    ]);

    await expect(lifecycle.start(abort.signal)).rejects.toBeInstanceOf(StartStopped);
    expect(events).toEqual([
      'start tracing',
      'start db',
      'stop db (at once)',
      'stopped db',
      'stop tracing (at once)',
      'stopped tracing',
    ]);
  });
});
