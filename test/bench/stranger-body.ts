/**
 * What a stranger's large body costs the server: CPU time of the tandem
 * process per POST of a 0.9 MB JSON body without a token, to a route that
 * needs a login, next to a GET /ping on the same connection kind.
 *
 *   node -r ./node_modules/tsx/dist/cjs/index.cjs test/bench/stranger-body.ts [requests]
 *
 * The server runs as its own process (src/main.ts through tsx), so the
 * client's CPU is not counted; CPU is read from /proc before and after each
 * series, after a warm-up.
 */
import http from 'node:http';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from '../helpers/ports';
import { processCpuMs } from './server-cpu';
import { BENCH_REDIS_PREFIX, BENCH_REDIS_URL, ROOT, TSX } from './servers';
import { spawn } from 'node:child_process';
import net from 'node:net';

/** Many small objects, as a stranger would send to cost the most: parsing them (and walking them for the depth check) is the work. */
const BODY = Buffer.from(
  JSON.stringify({ items: Array.from({ length: 24_500 }, (_, i) => ({ key: i, value: 'abcdefghijkl' })) }),
);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function send(port: number, method: string, urlPath: string, body?: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        agent,
        headers: body ? { 'content-type': 'application/json', 'content-length': body.length } : {},
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function series(
  pid: number,
  n: number,
  once: () => Promise<number>,
): Promise<{ cpuMs: number; statuses: Set<number> }> {
  const statuses = new Set<number>();
  const before = processCpuMs(pid) ?? NaN;
  for (let i = 0; i < n; i += 1) statuses.add(await once());
  const after = processCpuMs(pid) ?? NaN;
  return { cpuMs: (after - before) / n, statuses };
}

async function listening(port: number, deadline: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`the server did not listen on ${port} in time.`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 200);
  const [httpPort, thriftPort] = [await freePort(), await freePort()];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-stranger-'));
  const child = spawn(process.execPath, [...TSX, path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      TANDEM_HTTP_PORT: String(httpPort),
      TANDEM_THRIFT_PORT: String(thriftPort),
      TANDEM_SERVER_SCHEDULER: 'false',
      TANDEM_STATSD_ENABLED: 'false',
      TANDEM_LOG_FILE: path.join(tmp, 'tandem.log'),
      TANDEM_REDIS_URL: BENCH_REDIS_URL,
      TANDEM_REDIS_KEY_PREFIX: BENCH_REDIS_PREFIX,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    await listening(httpPort, Date.now() + 30_000);
    const pid = child.pid as number;
    const post = (): Promise<number> => send(httpPort, 'POST', '/api/cs/events', BODY);
    const ping = (): Promise<number> => send(httpPort, 'GET', '/ping');
    await series(pid, 30, post);
    await series(pid, 30, ping);
    const strangers = await series(pid, n, post);
    const pings = await series(pid, n, ping);
    const line = (name: string, r: { cpuMs: number; statuses: Set<number> }): string =>
      `${name.padEnd(44)} ${r.cpuMs.toFixed(2).padStart(7)} ms CPU/request  (status ${[...r.statuses].join(', ')})`;
    process.stdout.write(
      `${line(`POST /api/cs/events, ${(BODY.length / 1024 / 1024).toFixed(2)} MB, no token`, strangers)}\n${line('GET /ping', pings)}\n` +
        `${n} requests each, one keep-alive connection; server CPU from /proc.\n`,
    );
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
