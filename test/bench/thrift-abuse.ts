import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connect, NormalClient, openFiles, rssMb, sleep } from './abuse-clients';
import { processCpuMs } from './server-cpu';
import { runAttacks } from './thrift-attacks';
import { startServer, stopServer } from './servers';
import { StatsdSink } from './statsd-sink';

/**
 * `make bench-abuse`: the built server (as `make server` runs it, default
 * limits) under the abuses of the Thrift port, one after another: the
 * server's RSS and open files, the CPU to receive one 15 MB message unframed
 * and framed, and a normal client's ping() latency (p50/p99, one call at a
 * time) during each. Prints figures; asserts nothing. Bounded: each abuse
 * runs a fixed count of connections for a fixed time.
 */

const MB = 1024 * 1024;

/** Opens `count` connections, counting those the server closes from the start. */
async function openMany(port: number, count: number): Promise<{ sockets: net.Socket[]; closed: () => number }> {
  let closed = 0;
  const sockets: net.Socket[] = [];
  for (let i = 0; i < count; i += 1) {
    const socket = await connect(port).catch(() => undefined);
    if (!socket) {
      closed += 1;
      continue;
    }
    socket.once('close', () => (closed += 1));
    sockets.push(socket);
  }
  return { sockets, closed: () => closed };
}

/** An unframed binary ping() carrying an unknown string field of `padding` bytes. */
function bigPing(padding: number, framed: boolean): Buffer {
  const head = Buffer.alloc(23);
  let at = head.writeUInt32BE(0x80010001, 0);
  at = head.writeInt32BE(4, at);
  at += head.write('ping', at);
  at = head.writeInt32BE(1, at);
  at = head.writeUInt8(11, at);
  at = head.writeInt16BE(99, at);
  head.writeInt32BE(padding, at);
  const message = Buffer.concat([head, Buffer.alloc(padding, 0x61), Buffer.from([0])]);
  if (!framed) return message;
  const length = Buffer.alloc(4);
  length.writeInt32BE(message.length, 0);
  return Buffer.concat([length, message]);
}

/** Sends `bytes` in 1 KB writes, pausing every `burst` writes; resolves when the reply (any byte) arrives, or at `deadline`. */
async function sendInPieces(
  port: number,
  bytes: Buffer,
  burst: number,
  pauseMs: number,
  deadline = Date.now() + 60_000,
): Promise<void> {
  const socket = await connect(port);
  const replied = new Promise<void>((resolve) => {
    socket.once('data', () => resolve());
    socket.once('close', () => resolve());
  });
  for (let at = 0, n = 0; at < bytes.length; at += 1024, n += 1) {
    if (socket.destroyed || Date.now() > deadline) break;
    if (!socket.write(bytes.subarray(at, at + 1024))) await new Promise((r) => socket.once('drain', r));
    if (n % burst === burst - 1) await sleep(pauseMs);
  }
  await Promise.race([replied, sleep(Math.max(0, deadline - Date.now()))]);
  socket.destroy();
}

async function main(): Promise<void> {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-abuse-'));
  const sink = new StatsdSink();
  const server = await startServer('tandem', { tmpDir, statsdPort: await sink.listen() });
  const pid = server.child.pid as number;
  const port = server.ports.thrift as number;
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  const normal = await NormalClient.open(port);
  try {
    await normal.latency(1000);
    say(`idle server: RSS ${rssMb(pid)} MB, ${openFiles(pid)} open files`);
    say(`normal client alone: ${JSON.stringify(await normal.latency(5000))}`);

    // First, on a fresh server: the attacks that respected every limit and still stalled the process, with their goals.
    const goals = await runAttacks(pid, port, normal, say);
    say('');

    // 40 connections each sending most of a 15 MB frame, then waiting.
    const rss0 = rssMb(pid);
    const hostile = await openMany(port, 40);
    const frame = bigPing(15 * MB, true);
    const sent = frame.subarray(0, frame.length - 1024);
    for (const s of hostile.sockets) s.write(sent);
    const during1 = await normal.latency(8000);
    say(
      `40 x 15 MB frames held: RSS ${rss0} -> ${rssMb(pid)} MB, closed by the server ${hostile.closed()}/40, normal client ${JSON.stringify(during1)}`,
    );
    for (const s of hostile.sockets) s.destroy();
    await sleep(3000);
    say(`  3 s after they close: RSS ${rssMb(pid)} MB`);

    // 100 truncated frames and 1,000 idle connections, held 12 s.
    const rss1 = rssMb(pid);
    const truncated = await openMany(port, 100);
    for (const s of truncated.sockets) s.write(bigPing(1000, true).subarray(0, 100));
    const idle = await openMany(port, 1000);
    const files = openFiles(pid);
    const refusedAtOnce = idle.closed();
    const heldSince = Date.now();
    const during2 = await normal.latency(12_000);
    await sleep(Math.max(0, 12_000 - (Date.now() - heldSince)));
    say(
      `100 truncated frames + 1,000 idle: RSS ${rss1} -> ${rssMb(pid)} MB, server open files ${files}, ` +
        `idle closed at once ${refusedAtOnce}, after 12 s closed by the server: truncated ${truncated.closed()}/100, ` +
        `idle ${idle.closed()}/1000; normal client ${JSON.stringify(during2)}`,
    );
    for (const s of [...truncated.sockets, ...idle.sockets]) s.destroy();
    await sleep(2000);

    // CPU to receive one 15.7 MB message, unframed then framed, in 1 KB writes as fast as they go.
    for (const framed of [false, true]) {
      const before = processCpuMs(pid) ?? 0;
      await sendInPieces(port, bigPing(15.7 * MB, framed), 64, 0);
      say(`15.7 MB ${framed ? 'framed' : 'unframed'} message: server CPU ${(processCpuMs(pid) ?? 0) - before} ms`);
    }

    // The same at about 1 KB/ms, as a slow client sends it (about 16 s each).
    for (const framed of [false, true]) {
      const before = processCpuMs(pid) ?? 0;
      await sendInPieces(port, bigPing(15.7 * MB, framed), 1, 1, Date.now() + 120_000);
      say(
        `15.7 MB ${framed ? 'framed' : 'unframed'} message at ~1 KB/ms: server CPU ${(processCpuMs(pid) ?? 0) - before} ms`,
      );
    }

    // 4 connections each sending a 15.7 MB unframed message at about 1 KB/ms, for 8 s.
    const until = Date.now() + 8000;
    const slow = Array.from({ length: 4 }, () => sendInPieces(port, bigPing(15.7 * MB, false), 1, 1, until));
    const during3 = await normal.latency(7000);
    say(`4 unframed 15.7 MB senders at ~1 KB/ms: normal client ${JSON.stringify(during3)}`);
    await Promise.all(slow);

    say('');
    say(`Attack goals: ${goals.met} met, ${goals.missed} missed.`);
  } finally {
    normal.close();
    await stopServer(server);
    await sink.close();
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`The abuse run failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
