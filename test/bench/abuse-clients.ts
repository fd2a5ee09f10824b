import fs from 'node:fs';
import net from 'node:net';
import { encodeCall, FrameCutter } from '../helpers/thrift-wire';
import { Client as TandemClient } from '../../thrift/gen-nodejs/Tandem';

/** Clients and probes of `make bench-abuse`: a normal caller, a caller on a new connection, the server's RSS. */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

export function openFiles(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length;
}

export function connect(port: number, localAddress?: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * A normal client: one connection, opened before any abuse (as a sibling's
 * pooled connection is), calling ping() one call at a time.
 */
export class NormalClient {
  private waiting: (() => void) | undefined;
  private seqid = 0;

  private constructor(private readonly socket: net.Socket) {
    const cutter = new FrameCutter(() => this.waiting?.());
    socket.on('data', (chunk: Buffer) => cutter.push(chunk));
  }

  static async open(port: number): Promise<NormalClient> {
    return new NormalClient(await connect(port));
  }

  /** ping() for `ms`; p50, p99 and the longest in ms, the count, and calls that got no answer within 5 s. */
  async latency(ms: number): Promise<{ p50: number; p99: number; max: number; calls: number; unanswered: number }> {
    const times: number[] = [];
    let unanswered = 0;
    const end = Date.now() + ms;
    while (Date.now() < end && times.length < 200_000 && !this.socket.destroyed) {
      const started = process.hrtime.bigint();
      const replied = new Promise<boolean>((resolve) => (this.waiting = () => resolve(true)));
      this.socket.write(encodeCall(TandemClient, 'ping', [], (this.seqid += 1)));
      if (!(await Promise.race([replied, sleep(5000).then(() => false)]))) unanswered += 1;
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    times.sort((a, b) => a - b);
    const at = (q: number): number => Math.round((times[Math.floor(q * (times.length - 1))] ?? 0) * 100) / 100;
    return { p50: at(0.5), p99: at(0.99), max: at(1), calls: times.length, unanswered };
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * A well-behaved caller on a new connection each time (from `localAddress`,
 * another client address than the attackers'): true when ping() is answered
 * within 2 s.
 */
export async function pingOnNewConnection(port: number, localAddress: string): Promise<boolean> {
  const socket = await connect(port, localAddress).catch(() => undefined);
  if (!socket) return false;
  try {
    const answered = new Promise<boolean>((resolve) => {
      const cutter = new FrameCutter(() => resolve(true));
      socket.on('data', (chunk: Buffer) => cutter.push(chunk));
      socket.once('close', () => resolve(false));
    });
    socket.write(encodeCall(TandemClient, 'ping', [], 1));
    return await Promise.race([answered, sleep(2000).then(() => false)]);
  } finally {
    socket.destroy();
  }
}
