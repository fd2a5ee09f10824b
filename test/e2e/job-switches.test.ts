import path from 'node:path';
import { runCommand } from '../helpers/command';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { ROOT } from '../helpers/process';
import { dropKeys, rawRedis } from '../helpers/redis';

/**
 * `npm run job -- NAME` and the per-job switches: a job switched off in
 * the configuration is refused (exit 78, EX_CONFIG) before anything is
 * touched, unless --force.
 */

jest.setTimeout(240_000);

const redis = rawRedis();
const prefix = freshRedisPrefix();
let database = '';
let drop: () => Promise<void> = () => Promise.resolve();
const STACK_LINE = /^\s+at .+\(.+:\d+:\d+\)$/m;

beforeAll(async () => {
  ({ database, drop } = await freshDatabase());
});

afterAll(async () => {
  await dropKeys(redis, prefix);
  redis.disconnect();
  await drop();
});

function job(args: string[], env: Record<string, string> = {}) {
  return runCommand('npm', ['run', '--silent', 'job', '--', ...args], {
    TANDEM_MYSQL_DATABASE: database,
    TANDEM_REDIS_KEY_PREFIX: prefix,
    // zeus is nowhere: a risk scan that runs says `unavailable` (exit 69).
    TANDEM_ZEUS_PORT: '1',
    ...env,
  });
}

it('when a job is switched off, then npm run job refuses it with exit 78, names the key and --force, and takes no lock', async () => {
  const run = await job(['cs.escalate_stale'], { TANDEM_JOBS_CS_ESCALATE_STALE_ENABLED: 'false' });

  expect(run.code).toBe(78);
  expect(run.stderr).toContain('cs.escalate_stale is switched off');
  expect(run.stderr).toContain('jobs.cs.escalate_stale.enabled is false');
  expect(run.stderr).toContain('npm run job -- cs.escalate_stale --force');
  expect(run.stderr).not.toMatch(STACK_LINE);
  expect(run.stdout).not.toContain('cs.escalate_stale:');
  expect(await redis.keys(`${prefix}scheduler:*`)).toEqual([]);
});

it('when a switched-off job is run with --force, then it runs and says its outcome', async () => {
  const run = await job(['cs.escalate_stale', '--force'], { TANDEM_JOBS_CS_ESCALATE_STALE_ENABLED: 'false' });

  expect(run.stderr).toBe('');
  expect(run.stdout).toContain('cs.escalate_stale: ok');
  expect(run.code).toBe(0);
});

it('when the dev configuration of config.example.ts is used, then the risk scan (it needs zeus) is off and refused', async () => {
  const run = await job(['risk.scan'], { TANDEM_CONFIG_FILE: path.join(ROOT, 'config.example.ts') });

  expect(run.code).toBe(78);
  expect(run.stderr).toContain('jobs.risk.scan.enabled is false');
});

it('when the risk scan is on (the default), then npm run job runs it: zeus does not answer here, so exit 69', async () => {
  const run = await job(['risk.scan']);

  expect(run.stdout).toContain('risk.scan: unavailable');
  expect(run.code).toBe(69);
});
