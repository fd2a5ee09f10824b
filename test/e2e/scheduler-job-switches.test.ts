import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { spawnServer, type ServerProcess } from '../helpers/process';
import { dropKeys, rawRedis } from '../helpers/redis';
import { listenStatsd, type StatsdListener } from '../helpers/statsd-listener';
import { waitFor, within } from '../helpers/wait';

/**
 * The per-job switches (jobs.<domain>.<job>.enabled and .cron) in a real
 * server (src/main.ts with its own scheduler), set through their TANDEM_*
 * variables as a host would: each job ticks every second here.
 */

jest.setTimeout(300_000);

const EVERY_SECOND = '* * * * * *';
const redis = rawRedis();
const prefixes: string[] = [];
const spawned: ServerProcess[] = [];
const drops: (() => Promise<void>)[] = [];
let statsd: StatsdListener;

beforeAll(async () => {
  statsd = await listenStatsd();
});

afterAll(async () => {
  for (const p of spawned) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  }
  for (const prefix of prefixes) await dropKeys(redis, prefix);
  redis.disconnect();
  await statsd.close();
  for (const drop of drops) await drop();
});

async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const db = await freshDatabase();
  drops.push(db.drop);
  const prefix = freshRedisPrefix();
  prefixes.push(prefix);
  const server = spawnServer('src/main.ts', {
    TANDEM_MYSQL_DATABASE: db.database,
    TANDEM_REDIS_KEY_PREFIX: prefix,
    TANDEM_LOG_LEVEL: 'debug',
    TANDEM_STATSD_ENABLED: 'true',
    TANDEM_STATSD_PORT: String(statsd.port),
    TANDEM_STATSD_PREFIX: `switches${process.pid}.`,
    // zeus is nowhere: a risk scan that ran would say so.
    TANDEM_ZEUS_PORT: '1',
    TANDEM_JOBS_CS_ESCALATE_STALE_CRON: EVERY_SECOND,
    TANDEM_JOBS_CS_DAILY_REPORT_CRON: EVERY_SECOND,
    TANDEM_JOBS_RISK_SCAN_CRON: EVERY_SECOND,
    ...env,
  });
  spawned.push(server);
  // A bound against hanging: processes start slowly on a loaded machine.
  await server.logged('tandem is serving', 150_000);
  return server;
}

const runsOf = (server: ServerProcess, job: string): Record<string, unknown>[] =>
  server.logs.filter((l) => l.message === 'job run' && l.job === job);

it('when risk.scan and cs.daily_report are switched off, then their ticks are skipped_disabled in the log and statsd while cs.escalate_stale runs', async () => {
  const server = await startServer({
    TANDEM_SERVER_SCHEDULER: 'true',
    TANDEM_JOBS_RISK_SCAN_ENABLED: 'false',
    TANDEM_JOBS_CS_DAILY_REPORT_ENABLED: 'false',
  });
  const started = await server.logged('scheduler started');
  await waitFor(
    () =>
      runsOf(server, 'risk.scan').length >= 3 &&
      runsOf(server, 'cs.daily_report').length >= 3 &&
      runsOf(server, 'cs.escalate_stale').some((l) => l.outcome === 'ok')
        ? true
        : undefined,
    60_000,
    'three ticks of each job',
  );
  server.child.kill('SIGTERM');
  const exit = await within(server.exited, 60_000, 'the server stopping');
  const outcomes = (job: string): string[] => [...new Set(runsOf(server, job).map((l) => String(l.outcome)))];
  process.stdout.write(
    `switches: risk.scan ${runsOf(server, 'risk.scan').length} ticks ${outcomes('risk.scan').join('/')}, ` +
      `cs.daily_report ${runsOf(server, 'cs.daily_report').length} ticks ${outcomes('cs.daily_report').join('/')}, ` +
      `cs.escalate_stale ${outcomes('cs.escalate_stale').join('/')}\n`,
  );

  expect(started.disabled).toEqual(['cs.daily_report', 'risk.scan']);
  expect(started.jobs).toEqual([`cs.escalate_stale (${EVERY_SECOND} UTC)`]);
  expect(outcomes('risk.scan')).toEqual(['skipped_disabled']);
  expect(outcomes('cs.daily_report')).toEqual(['skipped_disabled']);
  expect(outcomes('cs.escalate_stale')).toContain('ok');
  // A disabled tick claims nothing and calls nobody: no zeus call, no tick lock taken, nothing queued.
  expect(server.logs.filter((l) => /zeus/i.test(String(l.message)))).toEqual([]);
  expect(await redis.keys(`${prefixes[prefixes.length - 1]}scheduler:tick:risk.scan:*`)).toEqual([]);
  expect(statsd.lines.some((l) => l.startsWith(`switches${process.pid}.job.risk.scan.skipped_disabled:`))).toBe(true);
  expect(statsd.lines.some((l) => l.startsWith(`switches${process.pid}.job.cs.daily_report.skipped_disabled:`))).toBe(
    true,
  );
  expect(exit).toEqual({ code: 0, signal: null });
});

it('when server.scheduler is false, then no job ticks at all, whatever the per-job switches say', async () => {
  const server = await startServer({ TANDEM_SERVER_SCHEDULER: 'false', TANDEM_JOBS_RISK_SCAN_ENABLED: 'true' });
  // Three seconds of a schedule that would tick each job three times.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  server.child.kill('SIGTERM');
  await within(server.exited, 60_000, 'the server stopping');

  expect(server.logs.filter((l) => l.message === 'scheduler started')).toEqual([]);
  expect(server.logs.filter((l) => l.message === 'job run')).toEqual([]);
});
