import autocannon from 'autocannon';
import { LatencyRecorder } from './latency';
import { announceMeasuring, type HttpJob, httpJobSchema, jobFromArgv, reportAndExit } from './load-job';

/**
 * The HTTP loader, run as its own process by the orchestrator: autocannon
 * for `warmupSec` (discarded), then for `durationSec` with every response's
 * latency recorded. Reports over IPC and exits.
 */
/** Requests sent so far by a rotating job, over the warm-up and the measured run. */
let sent = 0;

/** autocannon's per-request hook for a rotating job (see HttpTarget.rotate). */
function rotation(job: HttpJob): autocannon.Request[] | undefined {
  const { rotate } = job;
  if (!rotate) return undefined;
  const { pathname } = new URL(job.url);
  return [
    {
      method: job.method,
      setupRequest: (req) => {
        const n = sent++;
        const id = rotate.ids[n % rotate.ids.length] as number;
        const body = rotate.bodies[Math.floor(n / rotate.ids.length) % rotate.bodies.length];
        return { ...req, path: pathname.replace(':id', String(id)), body };
      },
    },
  ];
}

function run(job: HttpJob, durationSec: number, recorder?: LatencyRecorder): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const options: autocannon.Options = {
      requests: rotation(job),
      url: job.url,
      method: job.method,
      headers: job.headers,
      body: job.body,
      connections: job.connections,
      pipelining: 1,
      duration: durationSec,
      timeout: 10,
    };
    const instance = autocannon(options, (err: unknown, result: autocannon.Result) => {
      if (err) reject(err instanceof Error ? err : new Error(`autocannon failed: ${JSON.stringify(err)}`));
      else resolve(result);
    });
    if (recorder) {
      instance.on('response', (_client, statusCode, _bytes, responseTime) => {
        if (statusCode >= 200 && statusCode < 300) recorder.record(responseTime);
      });
    }
  });
}

async function main(): Promise<void> {
  const job = jobFromArgv(httpJobSchema);
  if (job.warmupSec > 0) await run(job, job.warmupSec);
  const recorder = new LatencyRecorder();
  announceMeasuring();
  const result = await run(job, job.durationSec, recorder);
  const [p50 = Number.NaN, p99 = Number.NaN] = recorder.percentiles([50, 99]);
  reportAndExit({
    requests: recorder.count,
    errors: result.non2xx + result.errors,
    seconds: result.duration,
    p50Ms: p50,
    p99Ms: p99,
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`The HTTP loader failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
