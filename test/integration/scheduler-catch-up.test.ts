import type { Redis } from 'ioredis';
import { redisConnection } from '../../src/core/db/redis';
import { type JobSetting, Scheduler } from '../../scheduler/runner';
import { testConfig } from '../helpers/app';
import { freshRedisPrefix } from '../helpers/db';
import { dropKeys, rawRedis } from '../helpers/redis';

const prefix = freshRedisPrefix();
const raw = rawRedis();
let redis: Redis;
const runs: number[] = [];

/** A job whose run lasts `ms`, recording the due second of each run. */
function jobLasting(name: string, ms: number): JobSetting<object> {
  return {
    name,
    cron: '0 0 1 1 *',
    timezone: 'UTC',
    enabled: true,
    timeoutMs: 5000,
    mode: 'inline',
    run: async (_deps, { scheduledAt }) => {
      runs.push(Math.floor(scheduledAt.getTime() / 1000));
      await new Promise((resolve) => setTimeout(resolve, ms));
    },
  };
}

// One run shorter than a claim retry, one longer: a late tick waits for the run before it, whichever it is.
const quick = jobLasting('catch-up.quick', 100);
const slow = jobLasting('catch-up.slow', 3000);

function scheduler(): Scheduler<object> {
  return new Scheduler(redis, [quick, slow], {}, { tickLockMs: 60_000, claimRetryMs: 1000, claimAttempts: 3 });
}

beforeAll(async () => {
  redis = redisConnection(testConfig({ redis: { key_prefix: prefix } }), 'catch-up-test');
  await redis.connect();
});

afterAll(async () => {
  redis.disconnect();
  await dropKeys(raw, prefix);
  raw.disconnect();
});

describe('ticks claimed late, together, after Redis was away', () => {
  // The slow job's runs last 3 s, three claim retries: the second tick outwaits the first run.
  it.each([
    ['shorter than a claim retry', quick, 5],
    ['going on past a claim retry', slow, 30],
  ])(
    'when two late ticks of one job whose run is %s are claimed at once by two schedulers, then both run, one after the other',
    async (_what, job, ago) => {
      const now = Math.floor(Date.now() / 1000);
      const [first, second] = [now - ago, now - ago + 1];

      const outcomes = await Promise.all([
        scheduler().tick(job, new Date(first * 1000)),
        scheduler().tick(job, new Date(second * 1000)),
      ]);

      expect(outcomes).toEqual(['ok', 'ok']);
      expect(runs.filter((due) => due === first || due === second).sort()).toEqual([first, second]);
    },
  );

  it('when a tick due on time finds the job still running, then it is skipped as overlapping', async () => {
    const now = Math.floor(Date.now() / 1000);
    const running = scheduler().tick(slow, new Date((now - 10) * 1000));
    while (!runs.includes(now - 10)) await new Promise((resolve) => setTimeout(resolve, 10));

    // Due at the coming second, as node-cron fires it: not late.
    const onTime = await scheduler().tick(slow, new Date((now + 1) * 1000));

    expect(onTime).toBe('skipped_overlap');
    expect(await running).toBe('ok');
  });
});
