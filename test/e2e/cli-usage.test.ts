import { QueryTypes } from 'sequelize';
import { createSequelize } from '../../src/core/db/mysql';
import { testConfig } from '../helpers/app';
import { runCommand } from '../helpers/command';
import { freshRedisPrefix } from '../helpers/db';
import { JOB_NAMES } from '../../scheduler/settings';

/**
 * The job commands as a newcomer first types them, wrong: each answer is the
 * usage (once) or one sentence, exit 64 (EX_USAGE), and no stack trace.
 * Without --silent, as typed from the README.
 */

const prefix = freshRedisPrefix();
const STACK_LINE = /^\s+at .+\(.+:\d+:\d+\)$/m;

async function databaseExists(name: string): Promise<boolean> {
  const sequelize = createSequelize(testConfig());
  try {
    const rows = await sequelize.query('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', {
      replacements: [name],
      type: QueryTypes.SELECT,
    });
    return rows.length > 0;
  } finally {
    await sequelize.close();
  }
}

function count(text: string, part: string): number {
  return text.split(part).length - 1;
}

it.each([
  ['no arguments', []],
  ['a command without its queue', ['failed']],
  ['retry without the job id', ['retry', 'risk-report']],
  ['an unknown command', ['list', 'risk-report']],
  ['an unknown flag', ['--all']],
])('when npm run jobs is given %s, then it prints the usage once and exits 64 with no stack', async (_, args) => {
  const run = await runCommand('npm', ['run', 'jobs', '--', ...args], { TANDEM_REDIS_KEY_PREFIX: prefix });

  expect(run.code).toBe(64);
  expect(count(run.stderr, 'Usage: npm run jobs -- COMMAND QUEUE [ID]')).toBe(1);
  expect(run.stderr).not.toMatch(STACK_LINE);
  expect(run.stderr).not.toContain('"level"');
  expect(run.stdout).not.toContain('"level"');
});

it('when npm run job names a job that does not exist, then one sentence lists the jobs and it exits 64', async () => {
  const run = await runCommand('npm', ['run', 'job', '--', 'nope'], { TANDEM_REDIS_KEY_PREFIX: prefix });

  expect(run.code).toBe(64);
  expect(run.stderr).toContain(`no job named nope; jobs are: ${JOB_NAMES.join(', ')}.`);
  expect(run.stderr).not.toMatch(STACK_LINE);
});

it('when npm run job is given no name, then it prints its usage once and exits 64', async () => {
  const run = await runCommand('npm', ['run', 'job'], { TANDEM_REDIS_KEY_PREFIX: prefix });

  expect(run.code).toBe(64);
  expect(count(run.stderr, 'Usage: npm run job -- NAME')).toBe(1);
  expect(run.stderr).not.toMatch(STACK_LINE);
});

it('when npm run migrate is given a command it does not have, then it prints its usage once and exits 64 before touching the database', async () => {
  const run = await runCommand('npm', ['run', 'migrate', '--', 'upp'], {
    TANDEM_REDIS_KEY_PREFIX: prefix,
    TANDEM_MYSQL_DATABASE: `tandem_t_never_${process.pid}`,
  });

  expect(run.code).toBe(64);
  expect(count(run.stderr, 'Usage: npm run migrate -- [up|down|status]')).toBe(1);
  expect(run.stderr).toContain('There is no migrate command upp.');
  expect(run.stderr).not.toMatch(STACK_LINE);
  expect(await databaseExists(`tandem_t_never_${process.pid}`)).toBe(false);
});

it.each([
  ['jobs', ['--help'], 'Usage: npm run jobs -- COMMAND QUEUE [ID]'],
  ['jobs', ['-h'], 'Usage: npm run jobs -- COMMAND QUEUE [ID]'],
  ['job', ['--help'], 'Usage: npm run job -- NAME [--force]'],
  ['job', ['-h'], 'Usage: npm run job -- NAME [--force]'],
])(
  'when npm run %s is asked for %s, then it prints its usage once on stdout and exits 0',
  async (script, args, usage) => {
    const run = await runCommand('npm', ['run', script, '--', ...args], { TANDEM_REDIS_KEY_PREFIX: prefix });

    expect(run.code).toBe(0);
    expect(count(run.stdout, usage)).toBe(1);
    expect(run.stderr).not.toContain('Unknown option');
    expect(run.stderr).not.toMatch(STACK_LINE);
  },
);
