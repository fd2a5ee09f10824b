import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime and the parent pid of one process, from /proc/<pid>/stat. */
function statOf(pid: number): { ppid: number; ticks: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) && Number.isFinite(ppid) ? { ppid, ticks } : undefined;
  } catch {
    return undefined;
  }
}

/** Every process whose parent chain leads to `pid` (a cluster's workers), read from /proc. */
function descendantsOf(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = statOf(Number(name));
    if (stat) parents.set(Number(name), stat.ppid);
  }
  const found: number[] = [];
  const wanted = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [child, parent] of parents) {
      if (wanted.has(parent) && !wanted.has(child)) {
        wanted.add(child);
        found.push(child);
        grew = true;
      }
    }
  }
  return found;
}

/**
 * CPU time (user + system, every thread) a process and its live children
 * (a cluster's workers) have used so far, in milliseconds, from /proc;
 * undefined where there is no /proc (not Linux). Requests/s depends on what
 * else the machine runs; CPU per request much less, so the report shows both.
 */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  const own = statOf(pid);
  if (!own) return undefined;
  let ticks = own.ticks;
  for (const child of descendantsOf(pid)) ticks += statOf(child)?.ticks ?? 0;
  return (ticks * 1000) / clockTicks();
}
