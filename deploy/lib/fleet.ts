import type { Release } from './build';
import { whoAmI } from './build';
import { Progress } from './progress';
import { hostGate, hostNames, rolesOf } from './roles';
import { parseHost, remote, upload, type RunResult, type Target } from './ssh';
import type { EnvironmentSettings } from './settings';

/** A step that failed on a host: what, where, and the host's words. */
export class HostError extends Error {
  constructor(
    readonly host: string,
    readonly step: string,
    readonly result: RunResult,
  ) {
    super(`${step} failed on ${host} (exit ${result.code}): ${(result.stderr || result.stdout).trim()}`);
  }
}

/** Refused because another deploy holds the lock of a host. */
export class LockedError extends Error {}

/** The step's result, or a HostError naming the host and step when it exited non-zero. */
export async function must(target: { name: string }, step: string, running: Promise<RunResult>): Promise<RunResult> {
  const result = await running;
  if (result.code !== 0) throw new HostError(target.name, step, result);
  return result;
}

export interface Environment {
  name: string;
  settings: EnvironmentSettings;
  targets: Target[];
}

export function environment(name: string, settings: EnvironmentSettings, hostList?: string[]): Environment {
  const targets = (hostList ?? hostNames(settings)).map((host) => {
    const roles = rolesOf(settings, host);
    return roles ? { ...parseHost(host), roles } : parseHost(host);
  });
  return { name, settings, targets };
}

/** Takes the deploy lock on every host (in order), or none: a refusal releases what was taken. */
export async function lockAll(env: Environment, owner: string, breakLock: boolean, progress: Progress): Promise<void> {
  const taken: Target[] = [];
  for (const target of env.targets) {
    const result = await remote(target, env.settings, 'lock', [owner, breakLock ? 'yes' : 'no']);
    if (result.stdout.trim()) progress.line(`  [${target.name}] ${result.stdout.trim()}`);
    if (result.code === 75) {
      await unlockAll({ ...env, targets: taken }, owner, progress);
      const holder = result.stderr.trim().replace(/^locked by: /, '');
      throw new LockedError(
        `Another deploy holds the lock of ${target.name}: ${holder}. Wait for it to finish; if it died, ` +
          `break the lock with --break-lock (or: npm run deploy -- ${env.name} unlock).`,
      );
    }
    if (result.code !== 0) {
      await unlockAll({ ...env, targets: taken }, owner, progress);
      throw new HostError(target.name, 'lock', result);
    }
    taken.push(target);
  }
}

/**
 * Removes `owner`'s lock on every host. A host that cannot be reached keeps
 * its lock, which would refuse the next deploy: each is said (with how to
 * remove it) and counted in the result.
 */
export async function unlockAll(env: Environment, owner: string, progress: Progress): Promise<number> {
  const results = await Promise.all(env.targets.map((t) => remote(t, env.settings, 'unlock', [owner])));
  let failed = 0;
  env.targets.forEach((target, i) => {
    const result = results[i] as RunResult;
    if (result.code === 0) return;
    failed += 1;
    progress.line(
      `  [${target.name}] the deploy lock could NOT be removed (exit ${result.code}: ` +
        `${(result.stderr || result.stdout).trim()}); once the host is reachable: npm run deploy -- ${env.name} unlock`,
    );
  });
  return failed;
}

export function lockOwner(action: string, release: string): string {
  return `${whoAmI()} pid ${process.pid} since ${new Date().toISOString()} (${action} ${release})`;
}

function record(env: Environment, target: Target, entry: Record<string, unknown>): Promise<RunResult> {
  const line = JSON.stringify({ at: new Date().toISOString(), by: whoAmI(), ...entry });
  return remote(target, env.settings, 'record', [line]);
}

/**
 * Uploads and installs the release on every host at once (nothing switches
 * yet). Fills `before` with the release each host ran when it was prepared.
 */
export async function ship(
  env: Environment,
  release: Release,
  progress: Progress,
  before: Map<string, string> = new Map(),
): Promise<void> {
  const { settings } = env;
  await Promise.all(
    env.targets.map(async (target) => {
      const prepared = await progress.step(target.name, 'prepare', () =>
        must(target, 'prepare', remote(target, settings, 'prepare', [release.name])),
      );
      const current = prepared.stdout.trim();
      if (current) before.set(target.name, current);
      const dir = `${settings.deploy_to}/releases/${release.name}`;
      // Files unchanged since the running release become hard links to it instead of copies.
      await progress.step(target.name, 'upload', async () => {
        const result = await upload(target, settings, release.dir, dir, current ? `../${current}` : undefined);
        if (result.code !== 0) throw new HostError(target.name, 'upload (rsync)', result);
        return result;
      });
      await progress.step(
        target.name,
        'install',
        () =>
          must(
            target,
            'install',
            remote(target, settings, 'install', [release.name, settings.npm_cache, ...settings.npm_flags]),
          ),
        (r) => (r.stdout.includes('reused') ? '(dependencies reused: same lock)' : '(npm ci --omit=dev)'),
      );
    }),
  );
}

export async function migrate(env: Environment, release: Release, progress: Progress): Promise<void> {
  const first = env.targets[0] as Target;
  await progress.step(
    first.name,
    'migrate',
    () => must(first, 'migrate', remote(first, env.settings, 'migrate', [release.name])),
    (r) => `(${r.stdout.trim().split('\n').pop() ?? ''})`,
  );
}

/**
 * What became of one host in a roll-out: ok (switched, healthy on the new
 * release); rolled_back (switched, failed, went back); failed (switched,
 * failed, no release to go back to); not_switched (not reached, or refused
 * to be switched because its state could not be read); unknown (the
 * connection was lost during its switch: whether `current` moved is not known).
 */
export interface HostOutcome {
  target: Target;
  outcome: 'ok' | 'rolled_back' | 'failed' | 'not_switched' | 'unknown';
  reason?: string;
  logTail?: string;
  /** The release it ran before this roll-out, as read just before its switch. */
  from?: string;
  /** The release the roll-out meant it to run. */
  to?: string;
}

export interface SwitchOutcome {
  ok: boolean;
  host?: string;
  reason?: string;
  logTail?: string;
  /** Every host of the roll-out, in order, those after a failure as not_switched. */
  hosts: HostOutcome[];
}

/**
 * Switches hosts batch by batch to `releaseOf(host)`, each health-gated. A
 * host that fails goes back to the release it ran, is restarted and checked,
 * and no further host is touched; those get a not_switched record (when they
 * can be reached), so the records say which hosts a deploy switched.
 */
export async function rollOut(
  env: Environment,
  action: 'deploy' | 'rollback',
  releaseOf: (target: Target) => string,
  commit: string | undefined,
  progress: Progress,
  extra: Record<string, unknown> = {},
): Promise<SwitchOutcome> {
  const { settings } = env;
  const hosts: HostOutcome[] = [];
  for (let i = 0; i < env.targets.length; i += settings.batch) {
    const batch = env.targets.slice(i, i + settings.batch);
    const outcomes = await Promise.all(
      batch.map((target) => switchHost(env, target, action, releaseOf(target), commit, progress, extra)),
    );
    hosts.push(...outcomes);
    const failed = outcomes.find((o) => o.outcome !== 'ok');
    if (failed) {
      const rest = env.targets.slice(i + settings.batch);
      hosts.push(...rest.map((target) => ({ target, outcome: 'not_switched' as const, to: releaseOf(target) })));
      const reason = `the ${action} stopped at ${failed.target.name}`;
      await recordNotSwitched(env, rest, action, releaseOf, commit, reason, extra);
      return { ok: false, host: failed.target.name, reason: failed.reason, logTail: failed.logTail, hosts };
    }
  }
  return { ok: true, hosts };
}

/** Best effort: a not_switched line on each host that can be reached (an unreachable one is said elsewhere). */
export async function recordNotSwitched(
  env: Environment,
  targets: Target[],
  action: 'deploy' | 'rollback',
  releaseOf: (target: Target) => string,
  commit: string | undefined,
  reason: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  await Promise.all(
    targets.map((target) =>
      record(env, target, { action, release: releaseOf(target), commit, outcome: 'not_switched', reason, ...extra }),
    ),
  );
}

/**
 * What tells the health wait the server has died: running_command, else one
 * that fits the restart_command (the systemd unit, or service.sh), else none.
 */
export function runningCommand(settings: { restart_command: string; running_command?: string | undefined }): string {
  if (settings.running_command !== undefined) return settings.running_command;
  const restart = settings.restart_command;
  // is-active is 0 for a running unit only: one that crashed and waits for its restart is "activating".
  if (/\bsystemctl\b.*\brestart\b.*\btandem-server(\.service)?\b/.test(restart))
    return 'systemctl is-active --quiet tandem-server.service';
  // service.sh restart restarts both when it names neither; one naming the worker only says nothing of the server.
  const serviceSh = /\bdeploy\/service\.sh\s+restart\b(.*)$/.exec(restart);
  if (serviceSh && (/\bserver\b/.test(serviceSh[1] ?? '') || !/\bworker\b/.test(serviceSh[1] ?? '')))
    return 'bash current/deploy/service.sh status server';
  return '';
}

/** ssh's own failure (connection refused, lost, timed out): the host's side may or may not have run. */
const SSH_FAILED = 255;

async function switchHost(
  env: Environment,
  target: Target,
  action: 'deploy' | 'rollback',
  release: string,
  commit: string | undefined,
  progress: Progress,
  extra: Record<string, unknown>,
): Promise<HostOutcome> {
  const { settings } = env;
  // The host's restart and health gate: the environment's, or those of its roles (web, rpc, worker).
  const hostSettings = hostGate(settings, target.roles);
  const status = await remote(target, settings, 'status', [hostSettings.health_url]);
  if (status.code !== 0) {
    // Its state cannot be read, so it is not switched: it keeps serving whatever it serves.
    const why = (status.stderr || status.stdout).trim();
    progress.line(`  [${target.name}] could not be read before its switch (exit ${status.code}: ${why}); not switched`);
    return {
      target,
      to: release,
      outcome: 'not_switched',
      reason: `${target.name} could not be reached before its switch (exit ${status.code}: ${why}); it was not switched`,
    };
  }
  const from = (JSON.parse(status.stdout) as { current: string | null }).current ?? undefined;
  const gate = async (to: string): Promise<RunResult> => {
    await progress.step(
      target.name,
      `switch to ${to} and restart`,
      () =>
        must(target, 'switch and restart', remote(target, settings, 'activate', [to, hostSettings.restart_command])),
      // The restart's own last words, e.g. service.sh's "reloaded server (pid N): RELEASE: 2 worker(s) serving ...".
      (r) => {
        const last = r.stdout.trim().split('\n').pop() ?? '';
        return last && !last.startsWith('current: ') ? `(${last})` : '';
      },
    );
    return progress.step(
      target.name,
      `health of ${to}`,
      () =>
        must(
          target,
          'health',
          remote(target, settings, 'health', [
            to,
            hostSettings.health_url,
            String(settings.health_timeout_ms),
            runningCommand(hostSettings),
          ]),
        ),
      (r) => `(${r.stdout.trim()})`,
    );
  };
  const lost = (err: unknown): boolean => err instanceof HostError && err.result.code === SSH_FAILED;
  try {
    await gate(release);
    await record(env, target, { action, release, commit, from: from ?? null, outcome: 'ok', ...extra });
    return { target, to: release, outcome: 'ok', from };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const tail = (await remote(target, settings, 'logs', [settings.log_command])).stdout.trim();
    if (!from) {
      await record(env, target, { action, release, commit, from: null, outcome: 'failed', reason, ...extra });
      return {
        target,
        to: release,
        outcome: lost(err) ? 'unknown' : 'failed',
        reason: `${reason} (no earlier release to go back to)`,
        logTail: tail,
      };
    }
    progress.line(`  [${target.name}] going back to ${from}`);
    let said = `the host went back to ${from} and is healthy on it again`;
    let outcome: HostOutcome['outcome'] = 'rolled_back';
    try {
      await gate(from);
    } catch (backErr) {
      const why = backErr instanceof Error ? backErr.message : String(backErr);
      if (lost(err) || lost(backErr)) {
        // Neither step may have reached the host: saying it "went back" would be a guess.
        outcome = 'unknown';
        said = `going back to ${from} failed too (${why}): the host cannot be reached, and which release it runs is NOT known`;
      } else {
        said = `the host went back to ${from} but it is NOT healthy on it either: ${why}`;
      }
    }
    await record(env, target, { action, release, commit, from, outcome, reason, ...extra });
    return {
      target,
      to: release,
      outcome,
      from,
      reason: `${reason}; ${said}`,
      logTail: tail,
    };
  }
}

export async function prune(env: Environment, progress: Progress): Promise<void> {
  await Promise.all(
    env.targets.map((target) =>
      progress.step(
        target.name,
        `keep the last ${env.settings.keep_releases} releases`,
        () => must(target, 'prune', remote(target, env.settings, 'prune', [String(env.settings.keep_releases)])),
        (r) => {
          const removed = r.stdout.trim().split('\n').filter(Boolean).length;
          return removed ? `(removed ${removed})` : '';
        },
      ),
    ),
  );
}
