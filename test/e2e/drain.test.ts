import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readReleaseInfo } from '../../src/core/monitor/release';
import { spawnServer, type ServerProcess } from '../helpers/process';
import { within } from '../helpers/wait';

jest.setTimeout(90_000);

const spawned: ServerProcess[] = [];
afterAll(async () => {
  for (const p of spawned) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  }
});

interface Sample {
  /** When its round began, from the signal. */
  at: number;
  /** When its answer (or refusal) came back, from the signal. */
  seen: number;
  path: string;
  status: number | string;
}

async function get(url: string): Promise<number | string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return cause?.code ?? (err instanceof Error ? err.message : String(err));
  }
}

describe('SIGTERM with server.drain_delay_ms', () => {
  it('when signalled, then /health answers 503 at once while /ping is still served for the delay, then the listener closes', async () => {
    const drainMs = 1500;
    const server = spawnServer('src/main.ts', { TANDEM_SERVER_DRAIN_DELAY_MS: String(drainMs) });
    spawned.push(server);
    const { http } = await server.serving();
    const base = `http://127.0.0.1:${http}`;

    const before = (await (await fetch(`${base}/health`)).json()) as { data: { version: string; release: string } };
    expect(before.data).toMatchObject({ version: 'dev', release: 'dev' });
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(
      /^tandem_build_info\{version="dev",release="dev"\} 1$/m,
    );

    const samples: Sample[] = [];
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    // From the moment the process has taken the signal (a request racing the signal may be answered
    // before it), every 50 ms, both paths, until the process has gone (bounded: 200 rounds).
    await server.logged('draining: /health answers 503 while the listeners stay open', 10000);
    let exited = false;
    let exitedAt = 0;
    void server.exited.then(() => {
      exited = true;
      exitedAt = Date.now() - signalledAt;
    });
    for (let round = 0; round < 200 && !exited; round += 1) {
      const at = Date.now() - signalledAt;
      const [health, ping] = await Promise.all([get(`${base}/health`), get(`${base}/ping`)]);
      const seen = Date.now() - signalledAt;
      samples.push({ at, seen, path: '/health', status: health }, { at, seen, path: '/ping', status: ping });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const exit = await within(server.exited, 20000, 'the server exiting');

    // Everything answered before the listener closed: the drain, as long as it lasted on this machine.
    // The listener's close can race a round: a request on a kept-alive connection closed at that moment
    // fails with a reset rather than a refusal. Either way it is the end of the drain, not an answer.
    const refused = samples.find((s) => typeof s.status !== 'number');
    const refusedAt = refused?.at ?? exitedAt;
    const inDelay = samples.filter((s) => s.at < refusedAt);
    const healthy = inDelay.filter((s) => s.path === '/health' && s.status === 200);
    const pings = inDelay.filter((s) => s.path === '/ping');
    process.stdout.write(
      `drain: ${pings.length} /ping in the delay, ${pings.filter((s) => s.status !== 200).length} failed; ` +
        `/health 200 after the signal: ${healthy.length}; refused or gone at ${refusedAt} ms\n`,
    );
    expect(exit).toEqual({ code: 0, signal: null });
    expect(pings.length).toBeGreaterThanOrEqual(1);
    expect(pings.every((s) => s.status === 200)).toBe(true);
    expect(inDelay.filter((s) => s.path === '/health').every((s) => s.status === 503)).toBe(true);
    // The listener stays open at least the configured delay (a bound the config promises, not a speed):
    // the refusal is seen no sooner (a round that began just before the close is refused on arrival, so
    // its answer's time, not its start, bounds the close), and by the server's own clock the drain lasted
    // the delay, from its "draining" line to its "stopping" line.
    expect(refused?.seen ?? exitedAt).toBeGreaterThanOrEqual(drainMs);
    const timeOf = (message: string): number =>
      Date.parse(String(server.logs.find((l) => l.message === message)?.timestamp));
    const drained =
      timeOf('stopping: finishing in-flight requests and calls') -
      timeOf('draining: /health answers 503 while the listeners stay open');
    expect(drained).toBeGreaterThanOrEqual(drainMs);
    expect(server.logs.some((l) => l.message === 'draining: /health answers 503 while the listeners stay open')).toBe(
      true,
    );
    // The planned 503s of /health are not failures: no error line (with a stack) for each poll.
    expect(inDelay.filter((s) => s.path === '/health').length).toBeGreaterThanOrEqual(1);
    expect(server.logs.filter((l) => l.message === 'request failed')).toEqual([]);
  });
});

describe('readReleaseInfo', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'tandem-release-'));
    await mkdir(path.join(dir, 'dist', 'src'), { recursive: true });
    await writeFile(path.join(dir, 'package.json'), '{}');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('when a release holds release.json, then its version and release name are read from the code below it', async () => {
    await writeFile(
      path.join(dir, 'release.json'),
      JSON.stringify({ version: 'abc1234', release: '20260101T000000Z-abc1234' }),
    );
    expect(readReleaseInfo(path.join(dir, 'dist', 'src'))).toEqual({
      version: 'abc1234',
      release: '20260101T000000Z-abc1234',
    });
  });

  it('when release.json lacks a field, then reading it fails naming the file', async () => {
    await writeFile(path.join(dir, 'release.json'), JSON.stringify({ version: 'abc1234' }));
    expect(() => readReleaseInfo(path.join(dir, 'dist', 'src'))).toThrow(/release\.json must hold/);
  });
});
