/**
 * The load of the Sentinel fault run (test/faults/sentinel.ts): logged-in
 * reads, creates, logins, queued jobs and timed ticks, every outcome recorded
 * with its time, so that a window around a fault can be judged afterwards.
 */
import type { Redis } from 'ioredis';
import { defineQueue, Queues } from '../../src/core/async';
import type { Config } from '../../src/core/config';
import { redisConnection, replicaWaitOf } from '../../src/core/db/redis';
import { Scheduler, type JobSetting } from '../../scheduler/runner';

export type Kind = 'read' | 'create' | 'login' | 'enqueue';

export interface Sample {
  kind: Kind;
  /** Epoch ms when the request started and ended. */
  started: number;
  ended: number;
  ok: boolean;
  status: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function request(
  base: string,
  method: string,
  url: string,
  token: string | undefined,
  body?: unknown,
): Promise<{ status: number; code?: number; data?: { id?: number; token?: string } }> {
  try {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30000),
    });
    const parsed = (await res.json().catch(() => ({}))) as { code?: number; data?: { id?: number; token?: string } };
    return { status: res.status, code: parsed.code, data: parsed.data ?? undefined };
  } catch {
    return { status: 0 };
  }
}

export const FAULT_JOBS = defineQueue<{ n: number }>({
  name: 'sentinel-fault-jobs',
  attempts: 5,
  backoffMs: 200,
  timeoutMs: 5000,
});

/** Everything the load did, and the means to stop it. */
export class Load {
  samples: Sample[] = [];
  /** Tokens handed out by a 200 login: each must still open a session at the end. */
  readonly tokens: string[] = [];
  /** Jobs whose enqueue succeeded, and how many times each ran. */
  readonly enqueued = new Set<number>();
  readonly runs = new Map<number, number>();
  /** When each acknowledged job's enqueue started (epoch ms). */
  readonly enqueuedAt = new Map<number, number>();
  /** Due second of the timed tick -> how many times it ran, across both schedulers. */
  readonly ticks = new Map<number, number>();
  private running = true;
  private loops: Promise<void>[] = [];
  private readonly producer: Queues;
  private readonly consumer: Queues;
  private readonly schedulerClients: Redis[] = [];
  private readonly schedulers: Scheduler<object>[] = [];

  constructor(
    private readonly base: string,
    private readonly config: Config,
    private readonly users: string[],
    private readonly password: (user: string) => string,
    private readonly eventIds: number[],
  ) {
    this.producer = new Queues(config, [FAULT_JOBS]);
    this.consumer = new Queues(config, [FAULT_JOBS]);
  }

  private record(kind: Kind, started: number, ok: boolean, status: string): void {
    this.samples.push({ kind, started, ended: Date.now(), ok, status });
  }

  async login(user: string): Promise<string | undefined> {
    const started = Date.now();
    const res = await request(this.base, 'POST', '/api/auth/login', undefined, {
      username: user,
      password: this.password(user),
    });
    const token = res.status === 200 ? res.data?.token : undefined;
    this.record('login', started, token !== undefined, `${res.status}/${res.code ?? '-'}`);
    if (token) this.tokens.push(token);
    return token;
  }

  /** A login that is not recorded as a sample: whether it answered 200. */
  async loginQuietly(user: string): Promise<boolean> {
    const res = await request(this.base, 'POST', '/api/auth/login', undefined, {
      username: user,
      password: this.password(user),
    });
    return res.status === 200;
  }

  /** Whether a token still opens its session (GET /api/auth/me answers 200). */
  async sessionLives(token: string): Promise<boolean> {
    return (await request(this.base, 'GET', '/api/auth/me', token)).status === 200;
  }

  async start(readers: string[], writers: string[]): Promise<void> {
    this.consumer.process(FAULT_JOBS, 4, (payload) => {
      this.runs.set(payload.n, (this.runs.get(payload.n) ?? 0) + 1);
      return Promise.resolve();
    });
    const tick: JobSetting<object> = {
      name: 'fault.tick',
      cron: '* * * * * *',
      timezone: 'UTC',
      enabled: true,
      timeoutMs: 5000,
      mode: 'inline',
      run: (_deps, { scheduledAt }) => {
        const second = Math.floor(scheduledAt.getTime() / 1000);
        this.ticks.set(second, (this.ticks.get(second) ?? 0) + 1);
        return Promise.resolve();
      },
    };
    // Two schedulers, as two servers would run: each tick must run on exactly one.
    for (const i of [1, 2]) {
      const redis = redisConnection(this.config, `fault-scheduler-${i}`);
      await redis.connect();
      this.schedulerClients.push(redis);
      const scheduler = new Scheduler(
        redis,
        [tick],
        {},
        {
          tickLockMs: 60_000,
          claimRetryMs: this.config.scheduler.claim_retry_ms,
          claimAttempts: this.config.scheduler.claim_attempts,
          replicas: replicaWaitOf(this.config),
        },
      );
      scheduler.start();
      this.schedulers.push(scheduler);
    }
    const tokens = new Map<string, string>();
    for (const user of [...readers, ...writers]) {
      const token = await this.login(user);
      if (!token) throw new Error(`The load could not log ${user} in.`);
      tokens.set(user, token);
    }
    this.samples = [];
    this.loops = [
      ...readers.map((user, n) => this.loop(60, async (i) => this.read(tokens.get(user) as string, n + i))),
      ...writers.map((user) => this.loop(120, () => this.create(tokens.get(user) as string))),
      this.loop(100, async (i) => void (await this.login(this.users[i % this.users.length] as string))),
      this.loop(50, (i) => this.enqueue(i)),
    ];
  }

  private async loop(pauseMs: number, step: (i: number) => Promise<void>): Promise<void> {
    for (let i = 0; this.running; i += 1) {
      await step(i);
      await sleep(pauseMs);
    }
  }

  private async read(token: string, i: number): Promise<void> {
    const started = Date.now();
    const id = this.eventIds[i % this.eventIds.length] as number;
    const res = await request(this.base, 'GET', `/api/cs/events/${id}`, token);
    this.record('read', started, res.status === 200, `${res.status}/${res.code ?? '-'}`);
  }

  private async create(token: string): Promise<void> {
    const started = Date.now();
    const res = await request(this.base, 'POST', '/api/cs/events', token, {
      user_type: 'user',
      source: 'phone',
      content: 'sentinel fault load',
    });
    this.record('create', started, res.status === 201, `${res.status}/${res.code ?? '-'}`);
  }

  private nextJob = 0;

  private async enqueue(_i: number): Promise<void> {
    const started = Date.now();
    const n = (this.nextJob += 1);
    try {
      await this.producer.enqueue(FAULT_JOBS, { n }, { key: `fault-job-${n}` });
      this.enqueued.add(n);
      this.enqueuedAt.set(n, started);
      this.record('enqueue', started, true, 'ok');
    } catch (err) {
      this.record('enqueue', started, false, err instanceof Error ? err.message.slice(0, 60) : String(err));
    }
  }

  /** Stops the loops; the consumer and the schedulers go on until close(). */
  async stopLoad(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  async close(): Promise<void> {
    for (const scheduler of this.schedulers) await scheduler.stop(2000);
    await this.producer.close(1000);
    await this.consumer.close(1000);
    for (const client of this.schedulerClients) client.disconnect();
  }
}
