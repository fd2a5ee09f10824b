import { logger } from '../../src/core/log';
import { timeoutError, unavailableError } from './third-party-errors';
import { type CallHeaders, ThriftConnection, type ConnectionOptions } from './thrift-connection';

export interface PoolOptions<C> extends ConnectionOptions<C> {
  /** Most connections open at once, connecting ones included. */
  size: number;
  /** An idle connection is closed after this many ms. */
  idleMs: number;
}

export interface PoolStats {
  /** Connections open or being opened. */
  open: number;
  idle: number;
  busy: number;
  /** Callers waiting for a connection. */
  waiting: number;
}

interface Waiter<C> {
  deadlineAt: number;
  timer: NodeJS.Timeout;
  resolve: (conn: ThriftConnection<C>) => void;
  reject: (err: Error) => void;
}

/**
 * A bounded pool of Thrift connections to one service. A caller takes a
 * connection for one call and gives it back; a connection that timed out,
 * errored or was closed is dropped, never reused. Idle connections are
 * closed after `idleMs`, and idle sockets do not keep the process alive.
 * When every connection is busy, a caller waits for one until its deadline.
 */
export class ConnectionPool<C> {
  private readonly options: PoolOptions<C>;
  /** Most recently used last: it is taken first, so that the others can expire. */
  private readonly idle: ThriftConnection<C>[] = [];
  private readonly idleTimers = new Map<ThriftConnection<C>, NodeJS.Timeout>();
  private readonly busy = new Set<ThriftConnection<C>>();
  private readonly all = new Set<ThriftConnection<C>>();
  private readonly waiters: Waiter<C>[] = [];
  private connecting = 0;
  private closed = false;
  /** Connections opened since start: with the number of calls, it shows reuse. */
  opened = 0;

  constructor(options: PoolOptions<C>) {
    this.options = options;
  }

  stats(): PoolStats {
    return {
      open: this.all.size + this.connecting,
      idle: this.idle.length,
      busy: this.busy.size,
      waiting: this.waiters.length,
    };
  }

  /** Makes one call on a pooled connection; settles by `deadlineAt`, waiting for a connection included. */
  async call<T>(invoke: (client: C) => Promise<T>, deadlineAt: number, headers?: CallHeaders): Promise<T> {
    const conn = await this.acquire(deadlineAt);
    try {
      return await conn.call(invoke, deadlineAt, headers);
    } finally {
      this.release(conn);
    }
  }

  /** Stops handing out connections, closes the idle ones now and the busy ones when their call ends. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(this.closedError());
    }
    for (const conn of this.idle.splice(0)) this.retire(conn);
    await Promise.all([...this.all].map((conn) => (conn.busy ? conn.whenClosed() : conn.end())));
  }

  private acquire(deadlineAt: number): Promise<ThriftConnection<C>> {
    if (this.closed) return Promise.reject(this.closedError());
    for (let conn = this.idle.pop(); conn; conn = this.idle.pop()) {
      this.clearIdleTimer(conn);
      if (conn.healthy) {
        this.markBusy(conn);
        return Promise.resolve(conn);
      }
      void conn.destroy();
    }
    if (this.stats().open < this.options.size) return this.openNew(deadlineAt);
    return new Promise((resolve, reject) => {
      const waiter: Waiter<C> = {
        deadlineAt,
        resolve,
        reject,
        timer: setTimeout(
          () => {
            this.waiters.splice(this.waiters.indexOf(waiter), 1);
            logger.warn(
              `Every connection to ${this.options.service} stayed busy until the call's deadline; raise the pool size if this repeats.`,
              {
                service: this.options.service,
                pool_size: this.options.size,
              },
            );
            reject(
              timeoutError(
                this.options.service,
                this.options.timeoutMs,
                new Error('No pooled connection became free in time.'),
              ),
            );
          },
          Math.max(0, deadlineAt - Date.now()),
        ),
      };
      this.waiters.push(waiter);
    });
  }

  private async openNew(deadlineAt: number): Promise<ThriftConnection<C>> {
    this.connecting += 1;
    let conn: ThriftConnection<C>;
    try {
      conn = await ThriftConnection.open(this.options, deadlineAt);
    } catch (err) {
      this.connecting -= 1;
      this.serveWaiters();
      throw err;
    }
    this.connecting -= 1;
    this.opened += 1;
    this.all.add(conn);
    conn.onClose(() => this.forget(conn));
    if (this.closed) {
      void conn.destroy();
      throw this.closedError();
    }
    this.markBusy(conn);
    return conn;
  }

  private release(conn: ThriftConnection<C>): void {
    this.busy.delete(conn);
    if (!conn.healthy || this.closed) {
      void conn.destroy();
      this.serveWaiters();
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      this.markBusy(conn);
      waiter.resolve(conn);
      return;
    }
    conn.setReferenced(false);
    this.idle.push(conn);
    const timer = setTimeout(() => {
      this.idleTimers.delete(conn);
      const at = this.idle.indexOf(conn);
      if (at >= 0) this.idle.splice(at, 1);
      this.retire(conn);
    }, this.options.idleMs);
    timer.unref();
    this.idleTimers.set(conn, timer);
  }

  private markBusy(conn: ThriftConnection<C>): void {
    conn.setReferenced(true);
    this.busy.add(conn);
  }

  private retire(conn: ThriftConnection<C>): void {
    this.clearIdleTimer(conn);
    void conn.end();
  }

  /** The socket closed (the server hung up, or we closed it): it leaves the pool. */
  private forget(conn: ThriftConnection<C>): void {
    this.all.delete(conn);
    this.clearIdleTimer(conn);
    const at = this.idle.indexOf(conn);
    if (at >= 0) this.idle.splice(at, 1);
    this.serveWaiters();
  }

  /** A slot freed up: open a connection for the longest-waiting caller. */
  private serveWaiters(): void {
    while (!this.closed && this.waiters.length > 0 && this.stats().open < this.options.size) {
      const waiter = this.waiters.shift() as Waiter<C>;
      clearTimeout(waiter.timer);
      this.openNew(waiter.deadlineAt).then(waiter.resolve, waiter.reject);
    }
  }

  private clearIdleTimer(conn: ThriftConnection<C>): void {
    const timer = this.idleTimers.get(conn);
    if (timer) clearTimeout(timer);
    this.idleTimers.delete(conn);
  }

  private closedError(): Error {
    return unavailableError(this.options.service, new Error('The client was closed.'));
  }
}
