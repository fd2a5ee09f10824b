import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/core/config';
import { createSequelize } from '../../src/core/db/mysql';
import { redisConnection } from '../../src/core/db/redis';
import { createStaffDomain } from '../../src/service/staff';
import { ACCESS } from '../../src/domains';
import { dropKeys } from '../helpers/redis';
import { BENCH_REDIS_PREFIX, BENCH_REDIS_URL, type RunningServer, type ServerId } from './servers';

export interface CsSeed {
  token: string;
  eventId: number;
  username: string;
}

let seeded: Promise<CsSeed> | undefined;

/** tandem's configuration as the benchmark runs it (config.ts, then the bench's overrides). */
export function benchConfig() {
  return loadConfig({ ...process.env, TANDEM_REDIS_URL: BENCH_REDIS_URL, TANDEM_REDIS_KEY_PREFIX: BENCH_REDIS_PREFIX });
}

async function seed(servers: ReadonlyMap<ServerId, RunningServer>): Promise<CsSeed> {
  const tandem = servers.get('tandem');
  if (!tandem?.ports.http) throw new Error('The cs scenarios need the tandem server.');
  const config = benchConfig();
  const sequelize = createSequelize(config);
  const redis = redisConnection(config, 'bench');
  const username = `bench-${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  try {
    await redis.connect();
    await createStaffDomain(sequelize, redis, config.auth, ACCESS).staff.upsert({
      username,
      password,
      roles: ['cs_agent'],
    });
  } finally {
    await sequelize.close();
    redis.disconnect();
  }
  const base = `http://127.0.0.1:${tandem.ports.http}`;
  const post = async (path: string, body: unknown, token?: string): Promise<{ data: Record<string, unknown> }> => {
    const res = await fetch(base + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as { data: Record<string, unknown> };
  };
  const token = String((await post('/api/auth/login', { username, password })).data.token);
  const created = await post(
    '/api/cs/events',
    {
      user_type: 'merchant',
      source: 'phone',
      phone: '13800000000',
      order_id: '9007199254740993',
      content: 'benchmark event',
    },
    token,
  );
  const eventId = Number(created.data.id);
  const done = { token, eventId, username };
  await warm(base, done);
  return done;
}

/** One read through tandem fills the event's cache entry: every measured read is a hit. */
async function warm(base: string, seed: CsSeed): Promise<void> {
  const res = await fetch(`${base}/api/cs/events/${seed.eventId}`, {
    headers: { authorization: `Bearer ${seed.token}` },
  });
  if (!res.ok) throw new Error(`warming the cache answered ${res.status}`);
}

/**
 * Fills the event's cache entry again before a measured run: the entry
 * lives a few minutes, less than a whole `make bench`, and the bare
 * handlers only read it.
 */
export async function rewarmCsSeed(servers: ReadonlyMap<ServerId, RunningServer>): Promise<void> {
  const port = servers.get('tandem')?.ports.http;
  if (port === undefined) throw new Error('The cs scenarios need the tandem server.');
  await warm(`http://127.0.0.1:${port}`, await csSeed(servers));
}

/** Logs a staff member in and creates one cached event, once per run. */
export function csSeed(servers: ReadonlyMap<ServerId, RunningServer>): Promise<CsSeed> {
  seeded ??= seed(servers);
  return seeded;
}

/**
 * Removes what the run left: every Redis key under its prefix (sessions,
 * cache, counters), and the seeded staff member and event with its records.
 */
export async function cleanUpBench(): Promise<void> {
  const redis = new Redis(BENCH_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    await dropKeys(redis, BENCH_REDIS_PREFIX);
  } finally {
    redis.disconnect();
  }
  const done = await seeded?.catch(() => undefined);
  if (!done) return;
  const sequelize = createSequelize(benchConfig());
  try {
    await sequelize.query('DELETE FROM cs_event_record WHERE event_id = ?', { replacements: [done.eventId] });
    await sequelize.query('DELETE FROM cs_event WHERE id = ?', { replacements: [done.eventId] });
    await sequelize.query('DELETE FROM staff WHERE username = ?', { replacements: [done.username] });
  } finally {
    await sequelize.close();
  }
}
