import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { decodeReply, encodeCall, FrameCutter, type GeneratedClientClass } from '../helpers/thrift-wire';
import { LatencyRecorder } from './latency';
import { announceMeasuring, jobFromArgv, reportAndExit, type ThriftJob, thriftJobSchema } from './load-job';

/**
 * The Thrift loader, run as its own process by the orchestrator. It opens
 * `connections` sockets (framed transport, binary protocol) and keeps one
 * call in flight on each: the call is encoded once by the generated client,
 * every answer is cut from the stream by its frame length and answered with
 * the next call at once. The first answer is decoded by the generated client
 * to check the target really answers the method; the others are counted by
 * their message type only, so the loader spends its CPU on sending.
 */

const REPLY = 2;
/** How long calls in flight at the end may take to come back before the sockets close. */
const DRAIN_MS = 50;
const FIRST_ANSWER_WAIT_MS = 5000;

function clientClass(serviceModule: string): GeneratedClientClass {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the service module is named by the job
  const loaded = require(path.resolve(__dirname, '..', '..', serviceModule)) as { Client?: unknown };
  if (typeof loaded.Client !== 'function') throw new Error(`${serviceModule} exports no generated Client.`);
  return loaded.Client as GeneratedClientClass;
}

/** Decodes one framed answer with the generated client; throws when it is an exception. */
function checkAnswer(Client: GeneratedClientClass, name: string, frame: Buffer): unknown {
  const outcome = decodeReply(Client, name, frame);
  if (outcome.err) throw new Error(`The first answer to ${name} was an error: ${JSON.stringify(outcome.err)}`);
  return outcome.result;
}

type Phase = 'warmup' | 'measure' | 'stopping';

class Load {
  phase: Phase = 'warmup';
  readonly recorder = new LatencyRecorder();
  ok = 0;
  errors = 0;
  firstAnswer: Buffer | undefined;
  readonly sockets: net.Socket[] = [];

  constructor(readonly request: Buffer) {}

  /** Opens one connection and keeps one call in flight on it until the phase is `stopping`. */
  open(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
      this.sockets.push(socket);
      let sentAt = 0;
      const send = (): void => {
        sentAt = performance.now();
        socket.write(this.request);
      };
      socket.once('connect', () => {
        resolve();
        send();
      });
      socket.on('error', (err) => {
        if (this.phase === 'measure') this.errors += 1;
        reject(err);
      });
      const frames = new FrameCutter((buf, start, end) => {
        this.onAnswer(buf, start, end, performance.now() - sentAt);
        if (this.phase !== 'stopping') send();
      });
      socket.on('data', (chunk: Buffer) => frames.push(chunk));
    });
  }

  private onAnswer(buf: Buffer, start: number, end: number, ms: number): void {
    this.firstAnswer ??= Buffer.from(buf.subarray(start, end));
    if (this.phase !== 'measure') return;
    if (buf[start + 7] === REPLY) {
      this.ok += 1;
      this.recorder.record(ms);
    } else {
      this.errors += 1;
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const job: ThriftJob = jobFromArgv(thriftJobSchema);
  const Client = clientClass(job.serviceModule);
  const load = new Load(encodeCall(Client, job.method, job.args));
  await Promise.all(Array.from({ length: job.connections }, () => load.open(job.port)));

  await sleep(job.warmupSec * 1000);
  for (let waited = 0; !load.firstAnswer && waited < FIRST_ANSWER_WAIT_MS; waited += 50) await sleep(50);
  if (!load.firstAnswer) throw new Error(`No answer to ${job.method} came back in ${FIRST_ANSWER_WAIT_MS} ms.`);
  checkAnswer(Client, job.method, load.firstAnswer);
  load.phase = 'measure';
  announceMeasuring();
  const start = performance.now();
  await sleep(job.durationSec * 1000);
  load.phase = 'stopping';
  const seconds = (performance.now() - start) / 1000;

  // Calls still in flight get a moment to come back (uncounted), then every socket closes.
  await sleep(DRAIN_MS);
  for (const socket of load.sockets) socket.destroy();
  const [p50 = Number.NaN, p99 = Number.NaN] = load.recorder.percentiles([50, 99]);
  reportAndExit({ requests: load.ok, errors: load.errors, seconds, p50Ms: p50, p99Ms: p99 });
}

main().catch((err: unknown) => {
  process.stderr.write(`The Thrift loader failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
