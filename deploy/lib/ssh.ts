import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { EnvironmentSettings, Role } from './settings';

/** The host side of every step, sent on ssh's standard input. */
const REMOTE_SCRIPT = fs.readFileSync(path.join(__dirname, '..', 'remote.sh'), 'utf8');

export interface Target {
  /** As the user wrote it: the name in every message. */
  name: string;
  /** What ssh connects to: an alias or [user@]host. */
  destination: string;
  port?: string;
  /** The user and host of the destination apart (rsync is given them apart: see upload). */
  user?: string;
  host: string;
  /** The roles the environment's settings give this host; undefined: all of them. */
  roles?: Role[];
}

/** A host string that is not a host: a usage error (exit 2), raised before anything runs. */
export class BadHostError extends Error {}

// A user or a host name (or an ssh config alias): letters, digits, '.', '_' and '-', never first a '-' or '.'.
const NAME = '[A-Za-z0-9_][A-Za-z0-9._-]{0,252}';
const V6 = '[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(?:%[A-Za-z0-9._-]+)?';
const HOST_FORMS = new RegExp(`^(?:(${NAME})@)?(?:(${NAME})|\\[(${V6})\\])(?::(\\d{1,5}))?$`);

/**
 * `host`, `user@host`, `host:port`, `user@host:port`, `[v6]`, `[v6]:port`
 * (with or without `user@`), or an alias of the ssh config; anything else
 * (a shell metacharacter, a space, a leading `-` that ssh would read as an
 * option) is refused with a BadHostError naming it.
 */
export function parseHost(name: string): Target {
  const m = HOST_FORMS.exec(name);
  const port = m?.[4];
  if (!m || (port !== undefined && (Number(port) < 1 || Number(port) > 65535))) {
    throw new BadHostError(
      `"${name}" is not a host. Write host, user@host, host:port, user@host:port, [IPv6]:port or an alias of ` +
        'your ssh config, with letters, digits, ".", "_" and "-" only.',
    );
  }
  const host = (m[2] ?? m[3]) as string;
  return { name, destination: m[1] ? `${m[1]}@${host}` : host, port, user: m[1], host };
}

/** Quotes one word for the remote shell, which ssh hands the command line to. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** ssh's options for a target: the environment's config file and options, the port, never a prompt. */
function sshOptions(target: Target, settings: EnvironmentSettings): string[] {
  return [
    ...(settings.ssh_config ? ['-F', settings.ssh_config] : []),
    ...(target.port ? ['-p', target.port] : []),
    '-o',
    'BatchMode=yes',
    ...settings.ssh_options,
  ];
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    // process.env is spawn's default; named, so that it is this module's view of it (a test's, under jest).
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: process.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', (err) => resolve({ code: 127, stdout, stderr: stderr + err.message }));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** Runs one command of deploy/remote.sh on the host, in its deploy_to. */
export function remote(
  target: Target,
  settings: EnvironmentSettings,
  command: string,
  args: string[] = [],
): Promise<RunResult> {
  const line = ['bash', '-s', '--', command, settings.deploy_to, ...args].map(shellQuote).join(' ');
  // '--' ends ssh's options: whatever the destination looks like, ssh never reads it as one.
  return run('ssh', [...sshOptions(target, settings), '--', target.destination, line], REMOTE_SCRIPT);
}

/** Copies a local directory's contents into a directory on the host with rsync over the same ssh. */
export function upload(
  target: Target,
  settings: EnvironmentSettings,
  localDir: string,
  remoteDir: string,
  linkDest?: string,
): Promise<RunResult> {
  // rsync appends the host to this command; with the user given here too ('-l') and '--' last, ssh
  // reads no part of the destination as an option (rsync would add '-l' after the '--' for user@host).
  const sshCommand = ['ssh', ...sshOptions(target, settings), ...(target.user ? ['-l', target.user] : []), '--']
    .map(shellQuote)
    .join(' ');
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return run('rsync', [
    '-a',
    '--delete',
    ...(linkDest ? [`--link-dest=${linkDest}`] : []),
    '-e',
    sshCommand,
    `${localDir.replace(/\/?$/, '/')}`,
    `${host}:${remoteDir}/`,
  ]);
}
