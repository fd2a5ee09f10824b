import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { EnvironmentSettings } from './settings';

/** The host side of every step, sent on ssh's standard input. */
const REMOTE_SCRIPT = fs.readFileSync(path.join(__dirname, '..', 'remote.sh'), 'utf8');

export interface Target {
  /** As the user wrote it: the name in every message. */
  name: string;
  /** What ssh connects to: an alias or [user@]host. */
  destination: string;
  port?: string;
}

/**
 * `[user@]host[:port]` or an ssh config alias. A bracketed IPv6 address
 * takes its port after the bracket (`[::1]:2222`).
 */
export function parseHost(name: string): Target {
  const v6 = /^(.*@)?\[([^\]]+)\](?::(\d+))?$/.exec(name);
  if (v6) return { name, destination: `${v6[1] ?? ''}${v6[2]}`, port: v6[3] };
  const m = /^([^:]+):(\d+)$/.exec(name);
  if (m) return { name, destination: m[1] as string, port: m[2] };
  return { name, destination: name };
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
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
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
  return run('ssh', [...sshOptions(target, settings), target.destination, line], REMOTE_SCRIPT);
}

/** Copies a local directory's contents into a directory on the host with rsync over the same ssh. */
export function upload(
  target: Target,
  settings: EnvironmentSettings,
  localDir: string,
  remoteDir: string,
  linkDest?: string,
): Promise<RunResult> {
  const sshCommand = ['ssh', ...sshOptions(target, settings)].map(shellQuote).join(' ');
  return run('rsync', [
    '-a',
    '--delete',
    ...(linkDest ? [`--link-dest=${linkDest}`] : []),
    '-e',
    sshCommand,
    `${localDir.replace(/\/?$/, '/')}`,
    `${target.destination}:${remoteDir}/`,
  ]);
}
