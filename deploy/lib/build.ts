import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface Release {
  /** `<UTC time>-<12-digit sha>`: the release's directory on every host, sorted by time. */
  name: string;
  commit: string;
  /** The artifact: what each host receives. */
  dir: string;
  /** Removes the build's temporary directory. */
  cleanup: () => void;
}

function git(repo: string, args: string[]): string {
  return execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export function repoRoot(from: string): string {
  return git(from, ['rev-parse', '--show-toplevel']);
}

/** The commit a deploy ships, refusing a work tree with changes unless `allowDirty`. */
export function resolveCommit(repo: string, ref: string, allowDirty: boolean): string {
  if (!allowDirty) {
    const changes = execFileSync('git', ['-C', repo, 'status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
    });
    const lines = changes.split('\n').filter(Boolean);
    if (lines.length > 0) {
      throw new Error(
        `The work tree has ${lines.length} uncommitted change(s) (${lines
          .slice(0, 3)
          .map((l) => l.slice(3))
          .join(', ')}${lines.length > 3 ? ', ...' : ''}). A release is built from a commit: commit them, ` +
          'or pass --allow-dirty to ship the commit anyway (the changes are not in it).',
      );
    }
  }
  try {
    return git(repo, ['rev-parse', '--verify', `${ref}^{commit}`]);
  } catch {
    throw new Error(`"${ref}" is not a commit in ${repo}.`);
  }
}

export function releaseName(commit: string, at: Date = new Date()): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${commit.slice(0, 12)}`;
}

function sameFile(a: string, b: string): boolean {
  try {
    return fs.readFileSync(a).equals(fs.readFileSync(b));
  } catch {
    return false;
  }
}

/**
 * Builds a release from a commit, away from the work tree: `git archive` of
 * the commit into a temporary directory, the build there (`make build`), and
 * an artifact directory holding what production runs: dist/ (compiled code
 * and the generated Thrift code), package.json, the lock, patches/,
 * config.example.ts, the service files of deploy/, and release.json.
 *
 * The build needs the dev dependencies of the commit's lock: a node_modules
 * installed from an identical lock (the repository's, or this tool's) is
 * linked in; otherwise `npm ci` installs them.
 */
export function buildRelease(repo: string, commit: string, name: string, log: (line: string) => void): Release {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-release-'));
  const cleanup = (): void => fs.rmSync(tmp, { recursive: true, force: true });
  try {
    const src = path.join(tmp, 'src');
    fs.mkdirSync(src);
    const archive = spawnSync(
      'bash',
      ['-c', 'git -C "$1" archive "$2" | tar -x -C "$3"', 'archive', repo, commit, src],
      {
        encoding: 'utf8',
      },
    );
    if (archive.status !== 0) throw new Error(`git archive of ${commit} failed: ${archive.stderr.trim()}`);

    const lock = path.join(src, 'package-lock.json');
    const installed = [repo, path.join(__dirname, '..', '..')].find(
      (root) => fs.existsSync(path.join(root, 'node_modules')) && sameFile(lock, path.join(root, 'package-lock.json')),
    );
    if (installed) {
      fs.symlinkSync(path.join(installed, 'node_modules'), path.join(src, 'node_modules'));
      log(`build tools: node_modules of ${installed} (the same lock)`);
    } else {
      log('build tools: npm ci (no node_modules from the same lock here)');
      execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: src, stdio: ['ignore', 'pipe', 'pipe'] });
    }
    const build = spawnSync('make', ['--no-print-directory', 'build'], { cwd: src, encoding: 'utf8' });
    if (build.status !== 0) {
      throw new Error(`The build of ${commit.slice(0, 12)} failed:\n${(build.stdout + build.stderr).trim()}`);
    }

    const out = path.join(tmp, 'release');
    fs.mkdirSync(path.join(out, 'deploy'), { recursive: true });
    fs.cpSync(path.join(src, 'dist'), path.join(out, 'dist'), {
      recursive: true,
      filter: (file) => !file.endsWith('.tsbuildinfo'),
    });
    for (const file of ['package.json', 'package-lock.json', 'config.example.ts']) {
      fs.copyFileSync(path.join(src, file), path.join(out, file));
    }
    if (fs.existsSync(path.join(src, 'patches'))) {
      fs.cpSync(path.join(src, 'patches'), path.join(out, 'patches'), { recursive: true });
    } else {
      fs.mkdirSync(path.join(out, 'patches'));
    }
    for (const file of ['service.sh', 'systemd', 'logrotate']) {
      const from = path.join(src, 'deploy', file);
      if (fs.existsSync(from)) fs.cpSync(from, path.join(out, 'deploy', file), { recursive: true });
    }
    const info = { version: commit, release: name, commit, built_at: new Date().toISOString(), built_by: whoAmI() };
    fs.writeFileSync(path.join(out, 'release.json'), `${JSON.stringify(info, null, 2)}\n`);
    return { name, commit, dir: out, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}

/** Who runs the deploy, for the lock and the record: user@machine. */
export function whoAmI(): string {
  return `${os.userInfo().username}@${os.hostname()}`;
}
