import type { Redis } from 'ioredis';
import type { RunningApp } from '../../src/core/app/app';
import { defineQueue, Queues } from '../../src/core/async';
import { sessionKeyOfToken } from '../../src/core/auth/sessions';
import type { Config } from '../../src/core/config';
import { redisConnection } from '../../src/core/db/redis';
import { claimTick } from '../../scheduler/tick-claim';
import { startTestApp, testConfig } from '../helpers/app';
import { freshRedisPrefix } from '../helpers/db';
import { startSentinelSet, type SentinelSet } from '../helpers/sentinel';
import { call, loginAs, type LoggedIn } from '../helpers/staff';
import { waitFor } from '../helpers/wait';

// Real redis-server and Sentinel processes, and a failover, on a loaded machine: the waits are bounds, not speed.
jest.setTimeout(120_000);

const prefix = freshRedisPrefix();
let set: SentinelSet;
let app: RunningApp;
let config: Config;
const opened: Queues[] = [];
const clients: Redis[] = [];

const JOBS = defineQueue<{ n: number }>({ name: 'sentinel-jobs', attempts: 3, backoffMs: 100, timeoutMs: 5000 });
const runs: number[] = [];

function sentinelOverrides(): Parameters<typeof testConfig>[0] {
  return {
    redis: { key_prefix: prefix, sentinels: set.sentinels, sentinel_name: set.name, wait_replicas: 1 },
  };
}

/** Connection names (CLIENT SETNAME) of the clients connected to a data server. */
async function clientNames(port: number): Promise<string[]> {
  const direct = set.direct(port);
  try {
    const list = (await direct.client('LIST')) as string;
    return [...list.matchAll(/ name=(\S*)/g)].map((m) => m[1] as string).filter((name) => name !== '');
  } finally {
    direct.disconnect();
  }
}

beforeAll(async () => {
  set = await startSentinelSet(2);
  config = testConfig(sentinelOverrides());
  app = await startTestApp(sentinelOverrides());
});

afterAll(async () => {
  for (const queues of opened) await queues.close(1000);
  for (const client of clients) client.disconnect();
  await app?.stop();
  await set?.stop();
});

describe('the app behind Redis Sentinel', () => {
  let agent: LoggedIn;
  let eventId: number;

  it('when the app starts with redis.sentinels, then logins, sessions, cache and queued jobs use the primary they name', async () => {
    agent = await loginAs(app, ['cs_agent']);
    const created = await call<{ id: number }>(app, 'POST', '/api/cs/events', agent, {
      user_type: 'merchant',
      source: 'phone',
      content: 'behind sentinel',
    });
    expect(created.status).toBe(201);
    eventId = created.body.data.id;
    expect((await call(app, 'GET', `/api/cs/events/${eventId}`, agent)).status).toBe(200);
    expect((await call(app, 'GET', `/api/cs/events/${eventId}`, agent)).status).toBe(200);

    const primary = await set.primaryPort();
    // The session was acknowledged by a replica (WAIT) before the login answered: every server holds it.
    for (const port of set.serverPorts) {
      const direct = set.direct(port);
      clients.push(direct);
      expect(await direct.exists(`${prefix}${sessionKeyOfToken(agent.token)}`)).toBe(1);
    }
    expect(await clientNames(primary)).toEqual(expect.arrayContaining(['tandem:main']));

    const queues = new Queues(config, [JOBS]);
    opened.push(queues);
    queues.process(JOBS, 1, (payload) => Promise.resolve(void runs.push(payload.n)));
    await queues.enqueue(JOBS, { n: 1 });
    await waitFor(() => (runs.includes(1) ? true : undefined), 20000, 'the first job to run');
    // Bull's connections come from the same factory, through the Sentinels (Bull renames the blocking one).
    expect(await clientNames(primary)).toEqual(expect.arrayContaining(['tandem:bull:sentinel-jobs:client']));
  });

  it('when Sentinel fails the primary over, then the app follows the new primary and the session lives on', async () => {
    const before = await set.primaryPort();
    const sentinel = set.direct(Number(set.sentinels[0]?.split(':')[1]));
    clients.push(sentinel);
    await sentinel.call('SENTINEL', 'FAILOVER', set.name);
    const after = await set.waitForNewPrimary(before);
    expect(after).not.toBe(before);

    // The logged-in agent keeps working on the new primary, and new logins, creates and jobs work there.
    await waitFor(
      async () => ((await call(app, 'GET', `/api/cs/events/${eventId}`, agent)).status === 200 ? true : undefined),
      20000,
      'a read with the old session',
    );
    const second = await waitFor(
      () => loginAs(app, ['cs_agent']).catch(() => undefined),
      20000,
      'a login after the failover',
    );
    expect((await call(app, 'GET', `/api/cs/events/${eventId}`, second)).status).toBe(200);
    const created = await call(app, 'POST', '/api/cs/events', second, {
      user_type: 'user',
      source: 'phone',
      content: 'after failover',
    });
    expect(created.status).toBe(201);
    await waitFor(
      async () => ((await clientNames(after)).includes('tandem:main') ? true : undefined),
      20000,
      'the main client on the new primary',
    );
    const newPrimary = set.direct(after);
    clients.push(newPrimary);
    expect(await newPrimary.exists(`${prefix}${sessionKeyOfToken(second.token)}`)).toBe(1);

    const queues = opened[0] as Queues;
    await waitFor(() => queues.enqueue(JOBS, { n: 2 }).catch(() => undefined), 20000, 'an enqueue after the failover');
    await waitFor(() => (runs.includes(2) ? true : undefined), 20000, 'a job after the failover');
  });
});

describe('writes that must survive a failover', () => {
  it('when no replica acknowledges a tick claim, then it counts as failed; once acknowledged, a second claim finds it taken', async () => {
    const primary = await set.primaryPort();
    await set.settled(2);
    const direct = set.direct(primary);
    clients.push(direct);
    const key = `${prefix}tick:${Date.now()}`;
    const claim = { lockMs: 10000, retryMs: 50, attempts: 2 };

    // Three replicas asked of a set that has two: never acknowledged, never trusted.
    const unsure = await claimTick(direct, `${key}:a`, { ...claim, replicas: { replicas: 3, timeoutMs: 100 } });
    expect(unsure.outcome).toBe('unclaimed');

    expect((await claimTick(direct, key, { ...claim, replicas: { replicas: 1, timeoutMs: 500 } })).outcome).toBe(
      'claimed',
    );
    expect((await claimTick(direct, key, { ...claim, replicas: { replicas: 1, timeoutMs: 500 } })).outcome).toBe(
      'taken',
    );
  });

  it('when the replicas freeze while a login waits for them, then it waits on the sessions connection, not the shared one, and succeeds once they answer', async () => {
    const username = `sentinel-frozen-${process.pid}`;
    await loginAs(app, ['cs_agent'], username);
    const primary = await set.primaryPort();
    const replicas = set.serverPorts.filter((port) => port !== primary);
    for (const port of replicas) set.pause(port);
    try {
      const login = fetch(`http://127.0.0.1:${app.http.port}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: `pw-${username}-secret` }),
      });
      const direct = set.direct(primary);
      clients.push(direct);
      // CLIENT LIST names each connection and its last command: the login's WAIT blocks the sessions one.
      const waiting = await waitFor(
        async () => {
          const list = (await direct.client('LIST')) as string;
          return list.split('\n').find((line) => / cmd=wait\b/.test(line));
        },
        10000,
        'a WAIT blocked on the primary',
      );
      expect(waiting).toContain(' name=tandem:sessions ');
      // The shared connection answers meanwhile: its reads do not queue behind the WAIT.
      expect(await app.resources.redis.ping()).toBe('PONG');
      // Longer than one wait (wait_timeout_ms 500 here): the first WAIT has given up, and the login waits again.
      await new Promise((resolve) => setTimeout(resolve, 1200));
      for (const port of replicas) set.resume(port);
      const res = await login;
      expect(res.status).toBe(200);
    } finally {
      for (const port of replicas) set.resume(port);
    }
  });

  it('when a keyed job this worker finished comes back (its completion lost in a failover), then it is not run again', async () => {
    const queues = opened[0] as Queues;
    const key = `once-${process.pid}`;
    await queues.enqueue(JOBS, { n: 77 }, { key });
    await waitFor(() => (runs.includes(77) ? true : undefined), 20000, 'the keyed job to run');
    // What the new primary holds when the completion did not reach it: no job under the key, which a replay adds.
    const primary = set.direct(await set.primaryPort());
    clients.push(primary);
    const jobKey = `${prefix}bull:${JOBS.name}:${key}`;
    await waitFor(async () => ((await primary.hexists(jobKey, 'finishedOn')) ? true : undefined), 20000, 'its end');
    await primary.multi().del(jobKey).zrem(`${prefix}bull:${JOBS.name}:completed`, key).exec();

    await queues.enqueue(JOBS, { n: 77 }, { key });

    await waitFor(async () => ((await primary.hexists(jobKey, 'finishedOn')) ? true : undefined), 20000, 'its 2nd end');
    expect(runs.filter((n) => n === 77)).toHaveLength(1);
  });

  it('when a replica does not acknowledge a new session in time, then the login fails with 503 instead of handing out a token', async () => {
    const strict = await startTestApp({
      redis: { key_prefix: prefix, sentinels: set.sentinels, sentinel_name: set.name, wait_replicas: 3 },
      // Its waits end with the request's deadline: a short one keeps this test short.
      http: { request_timeout_ms: 1500 },
    });
    try {
      const username = `sentinel-strict-${process.pid}`;
      await loginAs(app, ['cs_agent'], username);
      const res = await fetch(`http://127.0.0.1:${strict.http.port}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: `pw-${username}-secret` }),
      });
      expect(res.status).toBe(503);
    } finally {
      await strict.stop();
    }
  });

  it('when the Sentinel a client asks first is frozen, then its reconnection asks the next one and it serves again', async () => {
    const client = redisConnection(testConfig(sentinelOverrides()), 'frozen-sentinel');
    clients.push(client);
    await client.connect();
    // ioredis asks first the Sentinel that answered last: freeze each in turn until one is the one it asked.
    const frozen = set.sentinels.map((s) => Number(s.split(':')[1]));
    for (const port of frozen) set.pause(port);
    try {
      set.resume(frozen[frozen.length - 1] as number);
      client.disconnect(true);
      // A frozen Sentinel accepts the connection (the kernel does) and answers nothing: only a command timeout
      // moves the client on to the next Sentinel.
      await waitFor(
        async () => ((await client.ping().catch(() => undefined)) === 'PONG' ? true : undefined),
        20000,
        'a PONG',
      );
    } finally {
      for (const port of frozen) set.resume(port);
    }
  });

  it('when redis.sentinels is set, then a client built by the factory ignores redis.url and asks the Sentinels', async () => {
    const wrongUrl = testConfig({
      redis: { key_prefix: prefix, sentinels: set.sentinels, sentinel_name: set.name, url: 'redis://127.0.0.1:1/0' },
    });
    const client = redisConnection(wrongUrl, 'factory-check');
    clients.push(client);
    await client.connect();
    expect(await client.ping()).toBe('PONG');
  });
});
