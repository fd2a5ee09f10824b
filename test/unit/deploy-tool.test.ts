import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { releaseName, resolveCommit } from '../../deploy/lib/build';
import { environmentSettings } from '../../deploy/lib/settings';
import { parseHost, shellQuote } from '../../deploy/lib/ssh';
import { buildConfig } from '../../src/core/config';

describe('deploy hosts and quoting', () => {
  it.each([
    ['tandem-1', { destination: 'tandem-1', port: undefined }],
    ['deploy@10.0.0.5', { destination: 'deploy@10.0.0.5', port: undefined }],
    ['deploy@10.0.0.5:2222', { destination: 'deploy@10.0.0.5', port: '2222' }],
    ['[::1]:2200', { destination: '::1', port: '2200' }],
    ['root@[fd00::5]', { destination: 'root@fd00::5', port: undefined }],
  ])('when the host is %s, then ssh gets its destination and port', (name, expected) => {
    expect(parseHost(name)).toEqual({ name, ...expected });
  });

  it('when an argument holds spaces, quotes or $, then the remote shell gets it as one word, unchanged', () => {
    const word = `bash current/deploy/service.sh restart 'server' "$HOME" ; rm -rf /`;
    const echoed = execFileSync('bash', ['-c', `printf '%s' ${shellQuote(word)}`], { encoding: 'utf8' });
    expect(echoed).toBe(word);
  });
});

describe('deploy settings', () => {
  it('when only hosts are given, then every other key takes its default', () => {
    const s = environmentSettings({ prod: { hosts: ['a', 'b'] } }, 'prod', 'environments.ts');
    expect(s).toMatchObject({ deploy_to: '/srv/tandem', batch: 1, keep_releases: 5, migrate: true });
  });

  it('when a key is unknown or the environment missing, then the error names it', () => {
    expect(() => environmentSettings({ prod: { hosts: ['a'], batchh: 2 } }, 'prod', 'envs.ts')).toThrow(/batchh/);
    expect(() => environmentSettings({ prod: { hosts: [] } }, 'prod', 'envs.ts')).toThrow(/prod\.hosts/);
    expect(() => environmentSettings({ prod: { hosts: ['a'] } }, 'staging', 'envs.ts')).toThrow(
      /no environment "staging" in envs\.ts; it has: prod/,
    );
  });
});

describe('the release and its commit', () => {
  let repo: string;
  beforeAll(() => {
    repo = mkdtempSync(path.join(os.tmpdir(), 'tandem-deploy-repo-'));
    const git = (...args: string[]): string => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' });
    git('init', '-q');
    git('config', 'user.email', 't@localhost');
    git('config', 'user.name', 't');
    writeFileSync(path.join(repo, 'a.txt'), 'one\n');
    git('add', 'a.txt');
    git('commit', '-q', '-m', 'one');
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  it('when the release is named, then it sorts by time and carries the commit', () => {
    const commit = 'ab'.repeat(20);
    expect(releaseName(commit, new Date('2026-12-04T18:46:15.123Z'))).toBe('20261204T184615Z-abababababab');
  });

  it('when the work tree has a change, then the deploy refuses unless allowed, naming the file', () => {
    const clean = resolveCommit(repo, 'HEAD', false);
    expect(clean).toMatch(/^[0-9a-f]{40}$/);
    writeFileSync(path.join(repo, 'a.txt'), 'two\n');
    expect(() => resolveCommit(repo, 'HEAD', false)).toThrow(/1 uncommitted change\(s\) \(a\.txt\).*--allow-dirty/);
    expect(resolveCommit(repo, 'HEAD', true)).toBe(clean);
    expect(() => resolveCommit(repo, 'no-such-ref', true)).toThrow(/"no-such-ref" is not a commit/);
  });
});

describe('the systemd units', () => {
  const unit = (name: string): string =>
    readFileSync(path.join(__dirname, '..', '..', 'deploy', 'systemd', name), 'utf8');
  const stopSeconds = (text: string): number => Number(/^TimeoutStopSec=(\d+)$/m.exec(text)?.[1]);

  it('when the server is stopped, then systemd waits longer than its drain delay and shutdown deadline', () => {
    const { server } = buildConfig({}, {});
    const text = unit('tandem-server.service');
    expect(stopSeconds(text) * 1000).toBeGreaterThan(server.drain_delay_ms + server.shutdown_timeout_ms);
    expect(text).toMatch(/^KillSignal=SIGTERM$/m);
    expect(text).toMatch(/^Restart=on-failure$/m);
    expect(text).toMatch(/^EnvironmentFile=-@DEPLOY_TO@\/shared\/env$/m);
    expect(text).toMatch(/^ExecStart=@NODE@ .*@DEPLOY_TO@\/current\/dist\/src\/main\.js$/m);
  });

  it('when the worker is stopped, then systemd waits longer than its running jobs may take', () => {
    const { queue } = buildConfig({}, {});
    const text = unit('tandem-worker.service');
    expect(stopSeconds(text) * 1000).toBeGreaterThan(queue.drain_timeout_ms);
    expect(text).toMatch(/^ExecStart=@NODE@ .*@DEPLOY_TO@\/current\/dist\/src\/worker\.js$/m);
  });
});
