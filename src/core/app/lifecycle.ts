import { logger } from '../log';

/**
 * One part of a process that is started and stopped: a connection pool, a
 * listener, the scheduler. `stop` gets the milliseconds it may take; it
 * should finish what is in flight within them and then let go.
 */
export interface Component {
  name: string;
  start: () => Promise<void>;
  stop: (deadlineMs: number) => Promise<void>;
}

/**
 * Components started one after another and stopped together: the HTTP,
 * metrics and Thrift listeners drain in parallel, not one after the other.
 */
export interface Stage {
  /** What the stage is, for the line that says it was cut short at the deadline. */
  what: string;
  components: Component[];
  /** Milliseconds of the stop's deadline kept for the stages stopped after this one. */
  reserveMs?: number;
}

/** Waits for `work` at most `ms`; past that, says what is left behind and moves on (the process is exiting). */
async function withinDeadline(work: Promise<unknown>, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
    timer.unref();
  });
  const outcome = await Promise.race([
    work.then(
      () => 'done' as const,
      () => 'done' as const,
    ),
    late,
  ]);
  clearTimeout(timer);
  if (outcome === 'late') {
    logger.warn(`${what} did not finish by the shutdown deadline; stopping without waiting for them`, {
      waited_ms: ms,
    });
  }
}

/**
 * A start given up because a stop came while it ran: what had started was
 * stopped again, and nothing serves. Not a failure: the process was asked to go.
 */
export class StartStopped extends Error {
  constructor() {
    super('the start was stopped before it completed');
    this.name = 'StartStopped';
  }
}

/** A stop goes on past a component that failed to stop: the line says which, and why. */
function stopFailed(component: Component, err: unknown): void {
  logger.warn(`${component.name} failed to stop cleanly; stopping the rest`, {
    error: err instanceof Error ? err.message : String(err),
  });
}

/**
 * A process's start and stop as an ordered list (egg's loader is the
 * model): stages start in order, each component after the one before; a
 * failure stops exactly what had started, in reverse, and rethrows; a stop
 * goes through the started stages in reverse within one deadline. No caller
 * writes its own unwinding.
 */
export class Lifecycle {
  /** The components that started, by stage, in start order. */
  private readonly started: { stage: Stage; components: Component[] }[] = [];

  constructor(private readonly stages: readonly Stage[]) {}

  /**
   * Starts each component in order. With `signal`, a stop asked while the
   * start runs is honoured before the next component: what started is
   * stopped again and StartStopped is thrown, so a stopping process opens no
   * listener and starts no job on its way out.
   */
  async start(signal?: AbortSignal): Promise<void> {
    for (const stage of this.stages) {
      const done: Component[] = [];
      this.started.push({ stage, components: done });
      for (const component of stage.components) {
        if (signal?.aborted) {
          await this.unwind();
          throw new StartStopped();
        }
        try {
          await component.start();
        } catch (err) {
          await this.unwind();
          throw err;
        }
        done.push(component);
      }
    }
  }

  /**
   * After a failed start: stops what started, in reverse, each with no time
   * for work in flight (nothing was served yet), and waits until each is
   * closed.
   */
  private async unwind(): Promise<void> {
    while (this.started.length > 0) {
      const { components } = this.started.pop() as { stage: Stage; components: Component[] };
      await Promise.all([...components].reverse().map((c) => c.stop(0).catch((err: unknown) => stopFailed(c, err))));
    }
  }

  /**
   * Stops the started stages in reverse within `deadlineMs` in all: each
   * stage gets what is left less what it keeps for the stages after it, and
   * one that is still stopping then is left behind with a warning.
   */
  async stop(deadlineMs: number): Promise<void> {
    const endBy = Date.now() + deadlineMs;
    while (this.started.length > 0) {
      const { stage, components } = this.started.pop() as { stage: Stage; components: Component[] };
      const ms = Math.max(0, endBy - (stage.reserveMs ?? 0) - Date.now());
      const stops = [...components].reverse().map((c) => c.stop(ms).catch((err: unknown) => stopFailed(c, err)));
      await withinDeadline(Promise.all(stops), ms, stage.what);
    }
  }
}
