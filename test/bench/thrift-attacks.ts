import type net from 'node:net';
import { connect, type NormalClient, pingOnNewConnection, rssMb, sleep } from './abuse-clients';
import { encodeCall } from '../helpers/thrift-wire';
import { Client as TandemClient } from '../../thrift/gen-nodejs/Tandem';

/**
 * The attacks that respect every configured limit and still stopped the
 * process before the shape limits, the first-byte deadline, the
 * per-address cap and bytes charged as they arrive: each is run against the
 * built server while a normal client (a pooled connection, opened before)
 * calls ping() one call at a time and a well-behaved caller from another
 * address opens new connections. Prints, per attack, the stall (the normal
 * client's longest call), its p99, new-connection successes, and RSS
 * before, at its peak and after; then each goal as MET or MISSED.
 */

/** The goals of the attacks (docs/operations.md). */
const GOALS = { p99Ms: 10, rssGrowthMb: 200, rssAfterMb: 50 };
/** The well-behaved caller's address: another loopback address is another client address. */
const GOOD_ADDRESS = '127.0.0.2';

function framed(message: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(message.length, 0);
  return Buffer.concat([length, message]);
}

/** A framed binary ping() of about `bytes` bytes: unknown i16 fields, 5 bytes each. */
function binaryI16Ping(bytes: number): Buffer {
  const count = Math.floor(bytes / 5);
  const head = Buffer.from([0x80, 0x01, 0x00, 0x01, 0, 0, 0, 4, ...Buffer.from('ping'), 0, 0, 0, 1]);
  const body = Buffer.alloc(count * 5);
  for (let i = 0; i < count; i += 1) {
    body.writeUInt8(6, i * 5);
    body.writeInt16BE(100 + (i % 30_000), i * 5 + 1);
  }
  return framed(Buffer.concat([head, body, Buffer.from([0])]));
}

/** A framed compact ping() of `count` one-byte bool fields. */
function compactBoolPing(count: number): Buffer {
  const head = Buffer.from([0x82, 0x21, 1, 4, ...Buffer.from('ping')]);
  return framed(Buffer.concat([head, Buffer.alloc(count, 0x11), Buffer.from([0])]));
}

/** Sends `bytes` on a new connection and waits for the server to close it (or 30 s). */
async function sendAndWait(port: number, bytes: Buffer): Promise<void> {
  const socket = await connect(port).catch(() => undefined);
  if (!socket) return;
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(bytes);
  await Promise.race([closed, sleep(30_000)]);
  socket.destroy();
}

interface AttackResult {
  name: string;
  p50: number;
  p99: number;
  stall: number;
  newOk: number;
  newTried: number;
  rssBefore: number;
  rssPeak: number;
  rssAfter: number;
}

/**
 * Runs `attack` (which resolves when it is over, having started what it
 * holds) while the normal client measures for `measureMs` and the
 * well-behaved caller tries `newTries` new connections, spread over it;
 * `release` lets go of what the attack held.
 */
async function measure(
  name: string,
  pid: number,
  port: number,
  normal: NormalClient,
  measureMs: number,
  newTries: number,
  attack: () => Promise<unknown>,
  release: () => void = () => undefined,
): Promise<AttackResult> {
  await sleep(1000);
  const rssBefore = rssMb(pid);
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMb(pid))), 20);
  const attacking = attack();
  const latency = normal.latency(measureMs);
  let newOk = 0;
  for (let i = 0; i < newTries; i += 1) {
    if (await pingOnNewConnection(port, GOOD_ADDRESS)) newOk += 1;
    await sleep(measureMs / newTries);
  }
  const during = await latency;
  await attacking;
  release();
  // What the server holds 5 s after: buffers are given back when the collector next runs.
  await sleep(5000);
  clearInterval(sampler);
  const rssAfter = rssMb(pid);
  return {
    name,
    p50: during.p50,
    p99: during.p99,
    stall: during.max,
    newOk,
    newTried: newTries,
    rssBefore,
    rssPeak,
    rssAfter,
  };
}

export async function runAttacks(
  pid: number,
  port: number,
  normal: NormalClient,
  say: (line: string) => void,
): Promise<{ met: number; missed: number }> {
  const results: AttackResult[] = [];
  const binary = binaryI16Ping(16.5 * 1_000_000);
  const compact = compactBoolPing(15.7 * 1_000_000);

  results.push(
    await measure(
      'a 16.5 MB binary ping() of 3.3 M unknown i16 fields, sent 5 times',
      pid,
      port,
      normal,
      4000,
      20,
      async () => {
        for (let i = 0; i < 5; i += 1) await sendAndWait(port, binary);
      },
    ),
  );
  results.push(
    await measure(
      'a 15.7 MB compact ping() of 15.7 M bool fields, sent 5 times',
      pid,
      port,
      normal,
      4000,
      20,
      async () => {
        for (let i = 0; i < 5; i += 1) await sendAndWait(port, compact);
      },
    ),
  );
  results.push(
    await measure('three such compact frames at once, twice', pid, port, normal, 4000, 20, async () => {
      for (let i = 0; i < 2; i += 1) await Promise.all([0, 1, 2].map(() => sendAndWait(port, compact)));
    }),
  );

  let crowd: net.Socket[] = [];
  results.push(
    await measure(
      '600 connections that never send a byte',
      pid,
      port,
      normal,
      5000,
      100,
      async () => {
        const opened = await Promise.all(Array.from({ length: 600 }, () => connect(port).catch(() => undefined)));
        crowd = opened.filter((s): s is net.Socket => s !== undefined);
      },
      () => crowd.forEach((s) => s.destroy()),
    ),
  );

  let holders: net.Socket[] = [];
  let bigCallOk = false;
  results.push(
    await measure(
      '67 connections each sending a call, then a header announcing 1,000,000 bytes and nothing more',
      pid,
      port,
      normal,
      5000,
      20,
      async () => {
        const call = encodeCall(TandemClient, 'ping', [], 1);
        const announce = Buffer.from([0, 0x0f, 0x42, 0x40, 0x80, 0x01, 0x00, 0x01]);
        const opened = await Promise.all(Array.from({ length: 67 }, () => connect(port).catch(() => undefined)));
        holders = opened.filter((s): s is net.Socket => s !== undefined);
        for (const s of holders) s.write(Buffer.concat([call, announce]));
        await sleep(200);
        // A legitimate 200 KB call on a new connection, arriving in 10 KB pieces.
        bigCallOk = await bigCallInPieces(port);
      },
      () => holders.forEach((s) => s.destroy()),
    ),
  );

  for (const r of results) {
    say(
      `${r.name}: normal client p50 ${r.p50} ms, p99 ${r.p99} ms, longest ${r.stall} ms; new connections ${r.newOk}/${r.newTried} answered; ` +
        `RSS ${r.rssBefore} -> peak ${r.rssPeak} -> after ${r.rssAfter} MB`,
    );
  }
  say(
    `a 200 KB call in 10 KB pieces on a new connection during the announced frames: ${bigCallOk ? 'answered' : 'NOT answered'}`,
  );

  let met = 0;
  let missed = 0;
  const goal = (ok: boolean, text: string): void => {
    if (ok) met += 1;
    else missed += 1;
    say(`  ${ok ? 'MET   ' : 'MISSED'} ${text}`);
  };
  say('Goals:');
  for (const r of results) {
    goal(r.p99 <= GOALS.p99Ms, `a normal client's ping() p99 <= ${GOALS.p99Ms} ms: ${r.p99} ms (${r.name})`);
    goal(r.newOk === r.newTried, `every call on a new connection answered: ${r.newOk}/${r.newTried} (${r.name})`);
    goal(
      r.rssPeak - r.rssBefore <= GOALS.rssGrowthMb,
      `RSS growth <= ${GOALS.rssGrowthMb} MB: ${r.rssPeak - r.rssBefore} MB (${r.name})`,
    );
    goal(
      r.rssAfter - r.rssBefore <= GOALS.rssAfterMb,
      `RSS back within ${GOALS.rssAfterMb} MB after: ${r.rssAfter - r.rssBefore} MB (${r.name})`,
    );
  }
  goal(bigCallOk, 'a 200 KB call in pieces answered while 67 connections announce 1,000,000-byte frames');
  return { met, missed };
}

/** A 200 KB ping() (an unknown string field) sent in 10 KB pieces on a new connection from the good address. */
async function bigCallInPieces(port: number): Promise<boolean> {
  const padding = 200 * 1024;
  const head = Buffer.from([0x80, 0x01, 0x00, 0x01, 0, 0, 0, 4, ...Buffer.from('ping'), 0, 0, 0, 2, 11, 0, 99]);
  const length = Buffer.alloc(4);
  length.writeInt32BE(padding, 0);
  const message = framed(Buffer.concat([head, length, Buffer.alloc(padding, 0x61), Buffer.from([0])]));
  const socket = await connect(port, GOOD_ADDRESS).catch(() => undefined);
  if (!socket) return false;
  try {
    const answered = new Promise<boolean>((resolve) => {
      socket.once('data', () => resolve(true));
      socket.once('close', () => resolve(false));
    });
    for (let at = 0; at < message.length; at += 10 * 1024) {
      socket.write(message.subarray(at, at + 10 * 1024));
      await sleep(5);
    }
    return await Promise.race([answered, sleep(5000).then(() => false)]);
  } finally {
    socket.destroy();
  }
}
