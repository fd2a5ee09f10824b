import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { waitFor } from './wait';

/**
 * Test hosts for the deploy tests: each a network namespace of its own
 * (`ip netns`) joined to this machine by a veth pair, with its own address,
 * its own sshd, and its own deploy root (a private bind mount at the same
 * path, so both hosts see `deployTo` as theirs). MariaDB and Redis, which
 * listen on 127.0.0.1 here, reach each host through socat forwarders bound to
 * the machine's end of that host's veth.
 */
export interface TestHost {
  name: string;
  /** The host's address, reachable from this machine. */
  address: string;
  /** This machine's end of the veth: where the host finds MariaDB and Redis. */
  gateway: string;
  /** The host's deploy root as this machine sees it (the host sees it at `deployTo`). */
  root: string;
  sshd: ChildProcess;
  forwarders: ChildProcess[];
}

/** Why namespaces, sshd and the rest cannot be had here, or undefined when they can. */
export function fleetUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: creating network namespaces needs root';
  for (const [tool, file] of [
    ['sshd (Debian openssh-server)', '/usr/sbin/sshd'],
    ['ip (iproute2)', '/usr/sbin/ip'],
    ['ssh', '/usr/bin/ssh'],
    ['rsync', '/usr/bin/rsync'],
    ['socat', '/usr/bin/socat'],
    ['unshare', '/usr/bin/unshare'],
  ] as const) {
    if (!existsSync(file)) return `${tool} is not installed (test/fixtures/fleet/install-tools.sh installs it)`;
  }
  const probe = `tdm-probe-${process.pid}`;
  const added = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (added.status !== 0) return `cannot create a network namespace: ${added.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

function sh(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Removes what an earlier run of this test left (its namespaces go by fixed names). */
export function removeHost(name: string): void {
  spawnSync('ip', ['netns', 'del', name]);
}

/**
 * Makes host `index` (1, 2...) under `dir`: namespace `name`, addresses
 * 10.231.<10+index>.1 (here) and .2 (the host), sshd on port 22 there taking
 * `publicKey`, the deploy root `dir/<name>/root` mounted at `deployTo`.
 */
export async function createHost(
  name: string,
  index: number,
  dir: string,
  deployTo: string,
  publicKey: string,
): Promise<TestHost> {
  removeHost(name);
  const net = `10.231.${10 + index}`;
  const gateway = `${net}.1`;
  const address = `${net}.2`;
  const outer = `tdm${index}o`;
  const inner = `tdm${index}i`;
  spawnSync('ip', ['link', 'del', outer]);
  sh('ip', ['netns', 'add', name]);
  sh('ip', ['link', 'add', outer, 'type', 'veth', 'peer', 'name', inner]);
  sh('ip', ['link', 'set', inner, 'netns', name]);
  sh('ip', ['addr', 'add', `${gateway}/24`, 'dev', outer]);
  sh('ip', ['link', 'set', outer, 'up']);
  const inNs = (...args: string[]): string => sh('ip', ['netns', 'exec', name, ...args]);
  inNs('ip', 'addr', 'add', `${address}/24`, 'dev', inner);
  inNs('ip', 'link', 'set', inner, 'up');
  inNs('ip', 'link', 'set', 'lo', 'up');
  inNs('ip', 'route', 'add', 'default', 'via', gateway);

  const home = path.join(dir, name);
  const root = path.join(home, 'root');
  mkdirSync(root, { recursive: true });
  mkdirSync(deployTo, { recursive: true });
  // sshd's privilege separation directory, which the package's service would create.
  mkdirSync('/run/sshd', { recursive: true });
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(home, 'host_key')]);
  writeFileSync(path.join(home, 'authorized_keys'), publicKey);
  writeFileSync(
    path.join(home, 'sshd_config'),
    [
      `ListenAddress ${address}:22`,
      `HostKey ${path.join(home, 'host_key')}`,
      `PidFile ${path.join(home, 'sshd.pid')}`,
      `AuthorizedKeysFile ${path.join(home, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      'PrintMotd no',
      'MaxStartups 50',
      'MaxSessions 50',
      '',
    ].join('\n'),
  );
  // ip netns exec and unshare exec in turn, so the child is sshd itself, in the host's network and mounts.
  const sshd = spawn(
    'ip',
    [
      'netns',
      'exec',
      name,
      'unshare',
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount --bind "$1" "$2" && exec /usr/sbin/sshd -D -e -f "$3"',
      'sh',
      root,
      deployTo,
      path.join(home, 'sshd_config'),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let sshdErr = '';
  sshd.stderr?.on('data', (c: Buffer) => (sshdErr += c.toString('utf8')));
  const forward = (port: number): ChildProcess =>
    spawn('socat', [`TCP-LISTEN:${port},bind=${gateway},fork,reuseaddr`, `TCP:127.0.0.1:${port}`], {
      stdio: 'ignore',
    });
  const forwarders = [forward(3306), forward(6379)];
  await waitFor(
    () => {
      if (sshd.exitCode !== null) throw new Error(`sshd of ${name} exited: ${sshdErr}`);
      const probe = spawnSync('ip', ['netns', 'exec', name, 'bash', '-c', `echo > /dev/tcp/${address}/22`]);
      return probe.status === 0 ? true : undefined;
    },
    10000,
    `sshd of ${name} listening`,
  );
  return { name, address, gateway, root, sshd, forwarders };
}

/** Stops what runs on the host (by the pid files deploy/service.sh keeps), its sshd and forwarders, and the namespace. */
export async function destroyHost(host: TestHost): Promise<void> {
  for (const service of ['server', 'worker']) {
    const pidFile = path.join(host.root, 'shared', `${service}.pid`);
    if (!existsSync(pidFile)) continue;
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const child of [host.sshd, ...host.forwarders]) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  }
  removeHost(host.name);
}
