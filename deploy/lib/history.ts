import { hostGate } from './roles';
import type { Environment } from './fleet';
import { remote, type Target } from './ssh';

/** One line of a host's deploys.log. */
export interface DeployRecord {
  at: string;
  by?: string;
  /** deploy or rollback. */
  action: string;
  release: string;
  commit?: string;
  from?: string | null;
  /** ok, rolled_back (switched, failed, went back), failed (no release to go back to), not_switched. */
  outcome: string;
  reason?: string;
  /** rollback: the deploy it undid. */
  undoes?: string;
}

/** What a host says of itself (remote.sh status), or why it could not be read. */
export interface HostState {
  target: Target;
  /** Why the host could not be read; then everything else is unknown. */
  error?: string;
  current: string | null;
  releases: string[];
  lock: string | null;
  records: DeployRecord[];
  health: { http?: number; status?: string; release?: string; error?: string };
}

export async function readStates(env: Environment, targets: Target[] = env.targets): Promise<HostState[]> {
  const results = await Promise.all(
    targets.map((t) => remote(t, env.settings, 'status', [hostGate(env.settings, t.roles).health_url])),
  );
  return targets.map((target, i) => {
    const r = results[i] as Awaited<ReturnType<typeof remote>>;
    if (r.code === 0) {
      try {
        return { target, ...(JSON.parse(r.stdout) as Omit<HostState, 'target'>) };
      } catch {
        // Falls through: an answer that is not the status object is as good as none.
      }
    }
    const error = `exit ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').pop() ?? ''}`;
    return { target, error, current: null, releases: [], lock: null, records: [], health: {} };
  });
}

/** The release a host serves, as words: unknown (and why) for a host that could not be read, never "none". */
export function releaseWords(state: HostState): string {
  if (state.error) return `unknown (unreachable: ${state.error})`;
  return state.current ?? 'none (nothing deployed yet)';
}

/** The newest deploy found in the hosts' records (by time), or undefined when there is none. */
export function lastDeploy(states: HostState[]): DeployRecord | undefined {
  let last: DeployRecord | undefined;
  for (const s of states) {
    for (const r of s.records) if (r.action === 'deploy' && (!last || r.at > last.at)) last = r;
  }
  return last;
}

/** A host's record of the deploy of `release`, if it has one. */
export function recordOf(state: HostState, release: string): DeployRecord | undefined {
  return [...state.records].reverse().find((r) => r.action === 'deploy' && r.release === release);
}

export interface Step {
  target: Target;
  /** The release to switch to; undefined: the host stays. */
  to?: string;
  /** Why it moves or stays, for the plan. */
  why: string;
}

/**
 * What undoing the deploy of `last` means per host: a host it switched that
 * still runs it goes back to the release it ran before; any other host stays.
 */
export function undoPlan(states: HostState[], last: DeployRecord): Step[] {
  return states.map((s) => {
    const rec = recordOf(s, last.release);
    if (!rec) return { target: s.target, why: `stays on ${releaseWords(s)}: the deploy did not reach it` };
    if (s.current !== last.release) {
      const what =
        rec.outcome === 'ok' ? 'it was switched by the deploy and has been moved since' : `the deploy ${rec.outcome}`;
      return { target: s.target, why: `stays on ${releaseWords(s)}: ${what.replace(/_/g, ' ')}` };
    }
    if (!rec.from) return { target: s.target, why: `stays on ${last.release}: it ran no release before it` };
    return { target: s.target, to: rec.from, why: `${last.release} -> ${rec.from} (switched by the deploy)` };
  });
}

/**
 * `--to RELEASE`: the kept release of each host whose name is RELEASE or
 * whose commit begins with it (7 hex digits or more), or why there is none.
 */
export function findRelease(state: HostState, wanted: string): string | { error: string } {
  const matches = state.releases.filter(
    (r) => r === wanted || (/^[0-9a-f]{7,40}$/.test(wanted) && (r.split('-')[1] ?? '').startsWith(wanted.slice(0, 12))),
  );
  if (matches.length === 1) return matches[0] as string;
  if (matches.length === 0) return { error: `${state.target.name} keeps no release ${wanted}` };
  return {
    error: `${state.target.name} keeps ${matches.length} releases of ${wanted} (${matches.join(', ')}); name one`,
  };
}

/**
 * Whether the hosts are on one release: the line that says so, and when they
 * are not, the one command that puts them back together.
 */
export function fleetLine(
  env: Environment,
  states: HostState[],
  last = lastDeploy(states),
  presumed: Map<string, string> = new Map(),
): string[] {
  // An unreachable host this command did not switch is presumed on the release it ran when it began.
  const known = states
    .filter((s) => !s.error || presumed.has(s.target.name))
    .map((s) => (s.error ? { ...s, current: presumed.get(s.target.name) ?? null } : s));
  const releases = [...new Set(known.map((s) => s.current ?? 'none'))];
  const unknown = states.filter((s) => s.error).map((s) => s.target.name);
  const unknownNote = unknown.length
    ? ` (${unknown.join(', ')}: unreachable${presumed.size ? ', presumed on the release it ran before, as it was not switched' : ', unknown'})`
    : '';
  if (releases.length <= 1) {
    return [`The reachable hosts are all on ${releases[0] ?? 'nothing known'}${unknownNote}.`];
  }
  const byRelease = releases
    .map(
      (r) =>
        `${r} on ${known
          .filter((s) => (s.current ?? 'none') === r)
          .map((s) => s.target.name)
          .join(', ')}`,
    )
    .join('; ');
  const lines = [`The fleet is SPLIT across ${releases.length} releases: ${byRelease}${unknownNote}.`];
  const plan = last
    ? undoPlan(
        known.filter((s) => !s.error),
        last,
      ).filter((p) => p.to)
    : [];
  if (last && plan.length > 0) {
    // Undoing the last deploy on the hosts it switched puts them back beside the others.
    const hosts = plan.map((p) => p.target.name);
    const scope = unknown.length ? `${env.name}:${hosts.join(',')}` : env.name;
    lines.push(
      `To put it back together on the release before ${last.release}: npm run deploy -- ${scope} rollback` +
        ` (or deploy again once every host is reachable).`,
    );
  } else {
    lines.push(`To put it back together: npm run deploy -- ${env.name} rollback --to RELEASE (one of the above).`);
  }
  return lines;
}
