import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queues } from '../../src/core/async';
import { riskReportQueue } from '../../src/service/risk/risk-queue';
import { testConfig } from '../helpers/app';
import { freshDatabase, freshRedisPrefix } from '../helpers/db';
import { captureLogs } from '../helpers/log-capture';
import { freePort } from '../helpers/ports';
import { ROOT, spawnServer, type ServerProcess } from '../helpers/process';
import { dropKeys, rawRedis } from '../helpers/redis';
import { waitFor, within } from '../helpers/wait';

/*
 * deploy/monitoring against a real Prometheus: promtool checks the rules and
 * runs their unit tests; then a Prometheus scrapes a server (make server, with
 * its scheduler) and a worker (make worker, on queue.metrics_port) as the
 * README tells an operator to, loads alert-rules.yml, evaluates every rule
 * without error, and fires TandemQueueJobsFailed when a job fails for good in
 * the worker. Prometheus and promtool come from Debian's `prometheus` package
 * (deploy/local-services.sh installs it); without them this file says so and
 * skips.
 */

// Processes start slowly on a loaded machine: the waits are bounds against hanging, never speed assertions.
jest.setTimeout(180_000);

const MONITORING = path.join(ROOT, 'deploy', 'monitoring');

function which(command: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

const prometheusBin = which('prometheus');
const promtoolBin = which('promtool');
const missing =
  !prometheusBin || !promtoolBin ? 'prometheus and promtool are not installed (apt-get install prometheus)' : undefined;
if (missing) process.stderr.write(`prometheus-scrape.test.ts: skipping: ${missing}.\n`);
const withPrometheus = missing ? it.skip : it;

describe('the alert rules under promtool', () => {
  withPrometheus('when the rules are checked and their unit tests run, then both succeed', () => {
    const check = spawnSync(promtoolBin as string, ['check', 'rules', 'alert-rules.yml'], {
      cwd: MONITORING,
      encoding: 'utf8',
    });
    const unit = spawnSync(promtoolBin as string, ['test', 'rules', 'alert-rules.test.yml'], {
      cwd: MONITORING,
      encoding: 'utf8',
    });

    expect({ status: check.status, out: check.stdout + check.stderr }).toEqual({
      status: 0,
      out: expect.stringMatching(/SUCCESS: \d+ rules found/) as unknown,
    });
    expect({ status: unit.status, out: unit.stdout + unit.stderr }).toEqual({
      status: 0,
      out: expect.stringContaining('SUCCESS') as unknown,
    });
  });
});

interface PromAnswer<T> {
  status: string;
  data: T;
}

interface RuleState {
  name: string;
  health: string;
  lastError?: string;
  lastEvaluation: string;
}

describe('a real Prometheus scraping a server and a worker', () => {
  const prefix = freshRedisPrefix();
  const redis = rawRedis();
  const spawned: ServerProcess[] = [];
  let prometheus: ChildProcess | undefined;
  let prometheusLog = '';
  let dataDir: string | undefined;
  let drop: (() => Promise<void>) | undefined;
  let queues: Queues | undefined;
  let promUrl = '';
  let targets: { server: string; worker: string };

  async function api<T>(pathAndQuery: string): Promise<T> {
    const answer = await fetch(`${promUrl}${pathAndQuery}`);
    const body = (await answer.json()) as PromAnswer<T>;
    if (body.status !== 'success') throw new Error(`Prometheus answered ${JSON.stringify(body)}`);
    return body.data;
  }

  /** The value of an instant query's single series, or undefined while it has none. */
  async function scalarOf(query: string): Promise<number | undefined> {
    const data = await api<{ result: { value: [number, string] }[] }>(
      `/api/v1/query?query=${encodeURIComponent(query)}`,
    );
    const first = data.result[0];
    return first ? Number(first.value[1]) : undefined;
  }

  beforeAll(async () => {
    captureLogs();
    if (missing) return;
    const db = await freshDatabase();
    drop = db.drop;
    const zeusNowhere = await freePort();
    const workerMetricsPort = await freePort();
    const env = {
      TANDEM_REDIS_KEY_PREFIX: prefix,
      TANDEM_MYSQL_DATABASE: db.database,
      // Nothing listens there: a report to zeus fails at once, and with one attempt it fails for good.
      TANDEM_ZEUS_PORT: String(zeusNowhere),
      TANDEM_ZEUS_RETRIES: '0',
      TANDEM_RISK_REPORT_ATTEMPTS: '1',
    };
    const server = spawnServer('src/main.ts', { ...env, TANDEM_SERVER_SCHEDULER: 'true' });
    const worker = spawnServer('src/worker.ts', { ...env, TANDEM_QUEUE_METRICS_PORT: String(workerMetricsPort) });
    spawned.push(server, worker);
    // Two processes start at once on a loaded machine: a longer bound than serving()'s own.
    await server.logged('tandem is serving', 90_000);
    const { http } = await server.serving();
    await worker.logged('worker is running', 60_000);
    targets = { server: `127.0.0.1:${http}`, worker: `127.0.0.1:${workerMetricsPort}` };

    dataDir = mkdtempSync(path.join(tmpdir(), 'tandem-prometheus-'));
    const configFile = path.join(dataDir, 'prometheus.yml');
    // As deploy/monitoring/README.md says: one job "tandem", one target per process, the rules file as shipped.
    writeFileSync(
      configFile,
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        `  - ${JSON.stringify(path.join(MONITORING, 'alert-rules.yml'))}`,
        'scrape_configs:',
        '  - job_name: tandem',
        '    static_configs:',
        `      - targets: [${JSON.stringify(targets.server)}, ${JSON.stringify(targets.worker)}]`,
        '',
      ].join('\n'),
    );
    const promPort = await freePort();
    promUrl = `http://127.0.0.1:${promPort}`;
    prometheus = spawn(
      prometheusBin as string,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(dataDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout?.on('data', (chunk: Buffer) => (prometheusLog += chunk.toString('utf8')));
    prometheus.stderr?.on('data', (chunk: Buffer) => (prometheusLog += chunk.toString('utf8')));
    await waitFor(
      async () => ((await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.ok ? true : undefined),
      60_000,
      'Prometheus ready',
    ).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}; its log: ${prometheusLog.slice(-2000)}`);
    });
    queues = new Queues(testConfig({ redis: { key_prefix: prefix } }), [riskReportQueue(1, 100)]);
  });

  afterAll(async () => {
    await queues?.close(1000);
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
      prometheus.kill('SIGTERM');
      await within(exited, 20_000, 'Prometheus stopping').catch(() => prometheus?.kill('SIGKILL'));
    }
    for (const p of spawned) {
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGTERM');
        await within(p.exited, 30_000, 'a tandem process stopping').catch(() => p.child.kill('SIGKILL'));
      }
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    await dropKeys(redis, prefix);
    redis.disconnect();
    await drop?.();
  });

  withPrometheus(
    'when it scrapes both processes, then both targets are up and their dependency and job series arrive',
    async () => {
      const health = await waitFor(
        async () => {
          const data = await api<{ activeTargets: { scrapeUrl: string; health: string; lastError: string }[] }>(
            '/api/v1/targets',
          );
          const up = data.activeTargets.filter((t) => t.health === 'up');
          return up.length === 2 ? data.activeTargets : undefined;
        },
        60_000,
        'both targets up',
      );
      expect(health.map((t) => t.scrapeUrl).sort()).toEqual(
        [`http://${targets.server}/metrics`, `http://${targets.worker}/metrics`].sort(),
      );

      const on = (target: string) => `job="tandem", instance="${target}"`;
      // The server: its pool, its scheduler (every job's tick interval), its HTTP series.
      await waitFor(
        async () => scalarOf(`tandem_mysql_pool_connections{${on(targets.server)}, pool="primary", state="max"}`),
        30_000,
        "the server's pool series",
      );
      expect(await scalarOf(`tandem_scheduler_tick_interval_seconds{${on(targets.server)}, name="risk.scan"}`)).toBe(
        60,
      );
      expect(await scalarOf(`count(tandem_scheduler_last_tick_timestamp_seconds{${on(targets.server)}})`)).toBe(3);
      expect(
        await scalarOf(`tandem_thirdparty_breaker_state{${on(targets.server)}, service="zeus"}`),
      ).toBeGreaterThanOrEqual(0);
      // The worker: its queues' runs (at 0 before any job) and depths, and no HTTP door.
      expect(
        await scalarOf(`tandem_queue_job_runs_total{${on(targets.worker)}, queue="risk-report", outcome="failed"}`),
      ).toBe(0);
      expect(await scalarOf(`tandem_queue_jobs{${on(targets.worker)}, queue="risk-report", state="failed"}`)).toBe(0);
      expect(await scalarOf(`tandem_http_request_duration_seconds_count{${on(targets.worker)}}`)).toBeUndefined();
    },
  );

  withPrometheus('when the rules are loaded, then every rule evaluates without error on what was scraped', async () => {
    const rules = await waitFor(
      async () => {
        const data = await api<{ groups: { rules: RuleState[] }[] }>('/api/v1/rules');
        const all = data.groups.flatMap((g) => g.rules);
        // Evaluated at least once since the targets came up.
        return all.length > 0 && all.every((r) => !r.lastEvaluation.startsWith('0001')) ? all : undefined;
      },
      30_000,
      'every rule evaluated',
    );

    expect(rules.map((r) => r.name)).toEqual(
      expect.arrayContaining([
        'TandemQueueJobsFailed',
        'TandemTimedJobFailing',
        'TandemSchedulerNotTicking',
        'TandemBreakerOpen',
        'TandemMysqlPoolStarved',
      ]),
    );
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError ?? r.health}`)).toEqual([]);
  });

  withPrometheus(
    'when a job fails for good in the worker, then Prometheus sees the run and TandemQueueJobsFailed fires for its queue',
    async () => {
      const q = queues as Queues;
      const def = riskReportQueue(1, 100);
      // Scraped at 0 first (the previous test), so the failure is an increase.
      await q.enqueue(def, { order_id: '9007199254740994', reason: 'prometheus scrape test' });

      const failed = await waitFor(
        () =>
          scalarOf(
            `tandem_queue_job_runs_total{instance="${targets.worker}", queue="risk-report", outcome="failed"}`,
          ).then((v) => (v === 1 ? v : undefined)),
        60_000,
        'the failed run scraped',
      );
      const alert = await waitFor(
        async () => {
          const data = await api<{ alerts: { labels: Record<string, string>; state: string }[] }>('/api/v1/alerts');
          return data.alerts.find((a) => a.labels.alertname === 'TandemQueueJobsFailed' && a.state === 'firing');
        },
        60_000,
        'TandemQueueJobsFailed firing',
      );

      expect(failed).toBe(1);
      expect(alert.labels).toEqual({
        alertname: 'TandemQueueJobsFailed',
        job: 'tandem',
        queue: 'risk-report',
        severity: 'warning',
      });
      expect(
        await scalarOf(
          `tandem_thirdparty_call_duration_seconds_count{instance="${targets.worker}", method="report_suspicious", outcome="unavailable"}`,
        ),
      ).toBe(1);
    },
  );
});
