/**
 * `npm run deploy -- ENV[:HOST,HOST...] [COMMAND] [flags]`: ships tandem to
 * the hosts of an environment over the user's own OpenSSH (ssh and rsync,
 * with ~/.ssh/config, keys, ports and ProxyJump as they are).
 *
 * Commands: deploy (the default), rollback, status, setup, unlock.
 * Exit status: 0 when every host ended where the command meant (on the new
 * release, on the previous one); 1 when a host failed (it is named, and went
 * back to its release); 2 for a usage or settings error; 75 when another
 * deploy holds the lock.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildRelease, repoRoot, resolveCommit, releaseName, whoAmI } from './lib/build';
import {
  environment,
  HostError,
  lockAll,
  LockedError,
  lockOwner,
  migrate,
  must,
  prune,
  recordNotSwitched,
  rollOut,
  ship,
  unlockAll,
  type Environment,
  type HostOutcome,
  type SwitchOutcome,
} from './lib/fleet';
import {
  fleetLine,
  findRelease,
  lastDeploy,
  readStates,
  recordOf,
  releaseWords,
  undoPlan,
  type Step,
} from './lib/history';
import { Progress } from './lib/progress';
import { hostGate, NO_HEALTH_URL } from './lib/roles';
import { environmentSettings, loadEnvironments } from './lib/settings';
import { BadHostError, remote, upload } from './lib/ssh';

const USAGE = `usage: npm run deploy -- ENV[:HOST,HOST...] [deploy|rollback|status|setup|unlock] [flags]

  deploy     build the commit (HEAD, or --ref), ship it, migrate, switch hosts one batch at a time,
             each only once its /health reports the new release (the default command)
  rollback   undo the last deploy: the hosts it switched go back to the release they ran before it,
             health-gated the same way; hosts it did not switch stay (--to RELEASE: every host to RELEASE)
  status     per host: release, health, kept releases, lock, last deploys; whether the fleet is split
  setup      prepare new hosts: directories, shared/config.ts from config.example.ts, systemd units
  unlock     remove the deploy lock of every host (a deploy that died left it)

flags:
  --dry-run        print the plan and change nothing
  --ref REF        deploy: this commit, branch or tag instead of HEAD
  --to RELEASE     rollback: switch the hosts to this kept release (its name, or its commit's first digits)
  --allow-dirty    deploy: build even though the work tree has uncommitted changes (they are not shipped)
  --break-lock     take the lock even if another deploy holds it (when that one is known dead)
  --settings FILE  the environments file (default deploy/environments.ts)
  --no-units       setup: skip the systemd units (hosts without systemd)`;

const COMMANDS = ['deploy', 'rollback', 'status', 'setup', 'unlock'] as const;
type Command = (typeof COMMANDS)[number];

/** The command line, its settings or the work tree cannot be used as given: exit 2, nothing has run. */
class UsageError extends Error {}

/** Flags that mean something to one command only: given to another, they are a usage error, not ignored. */
const ONLY_FOR: Record<string, Command> = {
  ref: 'deploy',
  'allow-dirty': 'deploy',
  to: 'rollback',
  'no-units': 'setup',
};

interface Options {
  env: Environment;
  dryRun: boolean;
  ref: string;
  to?: string;
  allowDirty: boolean;
  breakLock: boolean;
  units: boolean;
  repo: string;
}

function parse(argv: string[]): { command: Command; options: Options } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'dry-run': { type: 'boolean', default: false },
      ref: { type: 'string' },
      to: { type: 'string' },
      'allow-dirty': { type: 'boolean', default: false },
      'break-lock': { type: 'boolean', default: false },
      settings: { type: 'string' },
      'no-units': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const commands = positionals.filter((p) => (COMMANDS as readonly string[]).includes(p)) as Command[];
  if (commands.length > 1) throw new UsageError(`Name one command, not ${commands.join(' and ')}.`);
  const command = commands[0] ?? 'deploy';
  for (const [flag, only] of Object.entries(ONLY_FOR)) {
    const given = (values as Record<string, unknown>)[flag];
    if (given !== undefined && given !== false && command !== only) {
      throw new UsageError(`--${flag} is a flag of ${only}, not of ${command}.`);
    }
  }
  const targets = positionals.filter((p) => !(COMMANDS as readonly string[]).includes(p));
  if (targets.length !== 1) {
    throw new UsageError(
      targets.length === 0
        ? 'Name one environment, e.g. dev or dev:host1,host2.'
        : `Name one environment, not ${targets.map((t) => `"${t}"`).join(' and ')} (hosts go after "ENV:", comma-separated).`,
    );
  }
  const [name, hostList] = (targets[0] as string).split(/:(.*)/s) as [string, string | undefined];
  const repo = repoRoot(process.cwd());
  const file = path.resolve(values.settings ?? path.join(__dirname, 'environments.ts'));
  const settings = environmentSettings(loadEnvironments(file), name, file);
  const hosts = hostList?.split(',').map((h) => h.trim());
  if (hosts && hosts.some((h) => h === '')) {
    throw new UsageError(`List hosts after "${name}:", comma-separated, with no empty entry ("${hostList}").`);
  }
  let env: Environment;
  try {
    env = environment(name, settings, hosts);
  } catch (err) {
    // A host of the command line, or of the environments file: refused before anything runs.
    if (err instanceof BadHostError) throw new UsageError(`${err.message} (${hosts ? 'command line' : file})`);
    throw err;
  }
  return {
    command,
    options: {
      env,
      dryRun: values['dry-run'],
      ref: values.ref ?? 'HEAD',
      to: values.to,
      allowDirty: values['allow-dirty'],
      breakLock: values['break-lock'],
      units: !values['no-units'],
      repo,
    },
  };
}

function hostsLine(env: Environment): string {
  return env.targets.map((t) => t.name).join(', ');
}

async function deploy(o: Options, progress: Progress): Promise<number> {
  const { env } = o;
  let commit: string;
  try {
    commit = resolveCommit(o.repo, o.ref, o.allowDirty);
  } catch (err) {
    // An unknown --ref, or a work tree with changes: nothing has run yet.
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const batches = Math.ceil(env.targets.length / env.settings.batch);
  if (o.dryRun) {
    progress.line(`Plan for ${env.name} (dry run; nothing is changed):`);
    progress.line(`  1. build ${commit.slice(0, 12)} (${o.ref}) into release ${releaseName(commit)}`);
    progress.line(`  2. lock ${hostsLine(env)} (${env.settings.deploy_to}/.deploy.lock)`);
    progress.line(
      `  3. upload to ${env.settings.deploy_to}/releases/ on each host and install production dependencies`,
    );
    if (env.settings.migrate) progress.line(`  4. run the new release's migrations on ${env.targets[0]?.name}`);
    progress.line(
      `  5. in ${batches} batch(es) of ${env.settings.batch}: switch current, restart, wait up to ` +
        `${env.settings.health_timeout_ms} ms for its health; on failure put that host back and stop:`,
    );
    for (const target of env.targets) {
      const gate = hostGate(env.settings, target.roles);
      const health =
        gate.health_url === NO_HEALTH_URL ? 'the process to keep running' : `${gate.health_url} to report the release`;
      const roles = target.roles ? ` (${target.roles.join(', ')})` : '';
      progress.line(`     ${target.name}${roles}: run "${gate.restart_command}", wait for ${health}`);
    }
    progress.line(`  6. keep the last ${env.settings.keep_releases} releases, record the deploy, unlock`);
    return 0;
  }
  const name = releaseName(commit);
  progress.line(`Deploying ${commit.slice(0, 12)} to ${env.name} (${hostsLine(env)}) as release ${name}`);
  // The lock comes first, as the build takes a while: a second deploy is refused at once, not after its build.
  const owner = lockOwner('deploy', name);
  await lockAll(env, owner, o.breakLock, progress);
  try {
    const t0 = performance.now();
    const release = buildRelease(o.repo, commit, name, (line) => progress.line(`  [build] ${line}`));
    progress.line(`  [build] ${release.dir}: ok (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    try {
      const before = new Map<string, string>();
      try {
        await ship(env, release, progress, before);
        if (env.settings.migrate) await migrate(env, release, progress);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        await recordNotSwitched(
          env,
          env.targets,
          'deploy',
          () => release.name,
          commit,
          `the deploy failed before any switch: ${reason}`,
        );
        progress.line(`Deploy of ${release.name} to ${env.name} FAILED before any host was switched: ${reason}`);
        progress.line('No host was switched or restarted: each serves the release it served before.');
        return 1;
      }
      const outcome = await rollOut(env, 'deploy', () => release.name, commit, progress);
      if (!outcome.ok) {
        progress.line(`Deploy of ${release.name} to ${env.name} FAILED on ${outcome.host}: ${outcome.reason}`);
        if (outcome.logTail) progress.line(`The tail of ${outcome.host}'s log:\n${indent(outcome.logTail)}`);
        await sayWhereHostsAre(env, 'deploy', release.name, outcome, before, progress);
        return 1;
      }
      await prune(env, progress);
    } finally {
      release.cleanup();
    }
  } finally {
    await unlockAll(env, owner, progress);
  }
  progress.line(`Deployed ${name} to ${hostsLine(env)} in ${progress.total()}.`);
  return 0;
}

/** What a roll-out did to one host, as words for the summary of a failed deploy or rollback. */
function outcomeWords(action: string, release: string, h: HostOutcome | undefined): string {
  switch (h?.outcome) {
    case undefined:
      return `not part of this ${action}`;
    case 'ok':
      return `switched to ${release} by this ${action}`;
    case 'rolled_back':
      return `switched to ${release}, failed, and put back on ${h.from}`;
    case 'failed':
      return `switched to ${release} and failed, with no earlier release to go back to`;
    case 'not_switched':
      return h.reason
        ? 'NOT switched: it could not be reached before its switch'
        : `not switched (this ${action} stopped before it)`;
    case 'unknown':
      return 'the connection was lost during its switch: whether it was switched is NOT known';
  }
}

/**
 * The end of a failed deploy or rollback: per host, the release it serves
 * now (read again; "unknown" for a host that cannot be reached) and what this
 * command did to it; then whether the fleet is split, with the command that
 * puts it back together.
 */
async function sayWhereHostsAre(
  env: Environment,
  action: string,
  release: string | undefined,
  outcome: SwitchOutcome,
  before: Map<string, string>,
  progress: Progress,
): Promise<void> {
  const states = await readStates(env);
  progress.line('Where each host is now:');
  const presumed = new Map<string, string>();
  for (const state of states) {
    const h = outcome.hosts.find((x) => x.target.name === state.target.name);
    const to = release ?? h?.to ?? '?';
    const was = before.get(state.target.name);
    if (state.error && was && (!h || h.outcome === 'not_switched')) presumed.set(state.target.name, was);
    const wasWords = state.error && was ? `; it ran ${was} when this ${action} began` : '';
    progress.line(`  ${state.target.name}: ${releaseWords(state)}; ${outcomeWords(action, to, h)}${wasWords}`);
  }
  for (const line of fleetLine(env, states, undefined, presumed)) progress.line(line);
}

async function rollback(o: Options, progress: Progress): Promise<number> {
  const { env } = o;
  const states = await readStates(env);
  const unreachable = states.filter((s) => s.error);
  if (unreachable.length > 0) {
    const others = states.filter((s) => !s.error).map((s) => s.target.name);
    progress.line(
      `Cannot roll back ${env.name}: ${unreachable.map((s) => `${s.target.name} (${s.error})`).join(', ')} ` +
        'could not be read, and a rollback needs to know where every host it considers is.' +
        (others.length
          ? ` To roll back the others alone: npm run deploy -- ${env.name}:${others.join(',')} rollback`
          : ''),
    );
    return 1;
  }
  let steps: Step[];
  let undoes: string | undefined;
  let title: string;
  if (o.to) {
    const wanted = o.to;
    const found = states.map((state) => ({ state, r: findRelease(state, wanted) }));
    const missing = found.flatMap((f) => (typeof f.r === 'string' ? [] : [f.r.error]));
    if (missing.length > 0) {
      throw new UsageError(
        `There is no single release ${wanted} to go to: ${missing.join('; ')}. ` +
          `Kept on ${states[0]?.target.name}: ${states[0]?.releases.join(', ') || 'none'}.`,
      );
    }
    steps = found.map(({ state, r }) =>
      state.current === r
        ? { target: state.target, why: `stays on ${r}: already on it` }
        : { target: state.target, to: r as string, why: `${state.current ?? 'none'} -> ${r as string}` },
    );
    title = `Rolling back ${env.name} to ${wanted}`;
  } else {
    const last = lastDeploy(states);
    if (!last) {
      progress.line(
        `Nothing to roll back: no host of ${env.name} has a record of a deploy. ` +
          `To switch to a kept release: npm run deploy -- ${env.name} rollback --to RELEASE`,
      );
      return 1;
    }
    steps = undoPlan(states, last);
    undoes = last.release;
    title = `Undoing the last deploy to ${env.name}, of ${last.release} (by ${last.by ?? 'unknown'} at ${last.at})`;
  }
  const moving = steps.filter((step) => step.to);
  progress.line(`${title}${o.dryRun ? ' (dry run; nothing is changed)' : ''}:`);
  for (const step of steps) progress.line(`  ${step.target.name}: ${step.why}`);
  if (moving.length === 0) {
    progress.line(
      `Nothing to do: no host runs ${undoes ?? o.to ?? ''} from it${o.to ? '' : ' any more'}. ` +
        `To go further back: npm run deploy -- ${env.name} rollback --to RELEASE`,
    );
    return 0;
  }
  if (o.dryRun) return 0;
  const targets = new Map(moving.map((step) => [step.target.name, step.to as string]));
  const owner = lockOwner('rollback', [...new Set(targets.values())].join(','));
  await lockAll(env, owner, o.breakLock, progress);
  try {
    const sub = { ...env, targets: moving.map((step) => step.target) };
    const outcome = await rollOut(
      sub,
      'rollback',
      (t) => targets.get(t.name) as string,
      undefined,
      progress,
      undoes ? { undoes } : {},
    );
    if (!outcome.ok) {
      progress.line(`Rollback of ${env.name} FAILED on ${outcome.host}: ${outcome.reason}`);
      if (outcome.logTail) progress.line(`The tail of ${outcome.host}'s log:\n${indent(outcome.logTail)}`);
      await sayWhereHostsAre(env, 'rollback', undefined, outcome, new Map(), progress);
      return 1;
    }
  } finally {
    await unlockAll(env, owner, progress);
  }
  progress.line(`Rolled back ${[...targets.keys()].join(', ')} in ${progress.total()}.`);
  for (const line of fleetLine(env, await readStates(env))) progress.line(line);
  return 0;
}

async function status(o: Options, progress: Progress): Promise<number> {
  const { env } = o;
  const states = await readStates(env);
  const last = lastDeploy(states);
  for (const s of states) {
    if (s.error) {
      progress.line(`${s.target.name}: ${releaseWords(s)}`);
      continue;
    }
    const h = s.health;
    const health = h.error ? `no answer (${h.error})` : `HTTP ${h.http}, ${h.status}, serving ${h.release}`;
    progress.line(`${s.target.name}:`);
    progress.line(`  release:  ${releaseWords(s)}`);
    progress.line(`  health:   ${health}`);
    if (last) {
      const rec = recordOf(s, last.release);
      const words = rec
        ? `${rec.outcome.replace(/_/g, ' ')}${rec.reason ? ` (${rec.reason.slice(0, 160)})` : ''}`
        : 'did not reach this host';
      progress.line(`  last deploy: ${last.release}: ${words}`);
    }
    progress.line(`  releases: ${s.releases.join(', ') || 'none'}`);
    if (s.lock) progress.line(`  LOCKED by ${s.lock}`);
    for (const rec of s.records.slice(-5)) {
      progress.line(
        `  ${rec.at} ${rec.action} ${rec.release} by ${rec.by}: ${rec.outcome}` +
          (rec.reason ? ` (${rec.reason.slice(0, 120)})` : ''),
      );
    }
  }
  for (const line of fleetLine(env, states, last)) progress.line(line);
  return states.some((s) => s.error) ? 1 : 0;
}

async function setup(o: Options, progress: Progress): Promise<number> {
  const { env } = o;
  const envName = env.settings.env ?? (['dev', 'test', 'prod'].includes(env.name) ? env.name : 'prod');
  if (o.dryRun) {
    progress.line(
      `Plan for setting up ${hostsLine(env)} (dry run): create ${env.settings.deploy_to}/{releases,shared}, ` +
        `write shared/config.ts for ${envName} unless one exists${o.units ? ', install and enable the systemd units' : ''}.`,
    );
    return 0;
  }
  // What a new host needs from here: the documented config to start from, and the unit templates.
  const files = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-setup-'));
  try {
    fs.copyFileSync(path.join(o.repo, 'config.example.ts'), path.join(files, 'config.example.ts'));
    fs.cpSync(path.join(__dirname, 'systemd'), path.join(files, 'systemd'), { recursive: true });
    for (const target of env.targets) {
      const dir = `${env.settings.deploy_to}/shared/setup`;
      await progress.step(target.name, 'directories', () =>
        must(target, 'setup', remote(target, env.settings, 'setup-dirs')),
      );
      await progress.step(target.name, 'upload setup files', async () => {
        const sent = await upload(target, env.settings, files, dir);
        if (sent.code !== 0) throw new HostError(target.name, 'upload of the setup files', sent);
        return sent;
      });
      await progress.step(
        target.name,
        'shared/config.ts',
        () => must(target, 'setup', remote(target, env.settings, 'setup', [envName])),
        (r) => `(${r.stdout.trim()})`,
      );
      if (o.units) {
        await progress.step(target.name, 'systemd units', () =>
          must(target, 'install-units', remote(target, env.settings, 'install-units', [env.settings.service_user])),
        );
      }
    }
  } finally {
    fs.rmSync(files, { recursive: true, force: true });
  }
  progress.line(`Set up ${hostsLine(env)} in ${progress.total()}. Edit each host's shared/config.ts, then deploy.`);
  return 0;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

async function main(): Promise<number> {
  const progress = new Progress();
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}\n`);
    return 2;
  }
  const { command, options } = parsed;
  try {
    switch (command) {
      case 'deploy':
        return await deploy(options, progress);
      case 'rollback':
        return await rollback(options, progress);
      case 'status':
        return await status(options, progress);
      case 'setup':
        return await setup(options, progress);
      case 'unlock':
        if (await unlockAll(options.env, 'any', progress)) return 1;
        progress.line(`Removed the deploy lock of ${hostsLine(options.env)} (${whoAmI()}).`);
        return 0;
    }
  } catch (err) {
    if (err instanceof LockedError) {
      process.stderr.write(`${err.message}\n`);
      return 75;
    }
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exit(1);
  },
);
