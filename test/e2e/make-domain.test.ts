import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/process';

/**
 * `make domain NAME=...` refuses what it must before writing anything, and a
 * step that fails after writing began puts every file back. Runs in a copy
 * of the files the generator reads and writes (the working tree as it is),
 * so the project itself is never touched. (CI also generates a domain in a
 * clone and runs its lint and tests: .ci/domain-check.sh.)
 */

const COPIED = ['Makefile', 'package.json', 'scripts', 'src', 'thrift', 'test/fixtures/thrift'];

let tree: string;

beforeAll(() => {
  tree = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-domain-'));
  for (const part of COPIED) fs.cpSync(path.join(ROOT, part), path.join(tree, part), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(tree, 'node_modules'));
});

afterAll(() => {
  fs.rmSync(tree, { recursive: true, force: true });
});

/** Every file of the copy and its content, to compare before and after. */
function contents(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(tree, rel), { withFileTypes: true })) {
      const child = path.join(rel, entry.name);
      if (entry.name === 'node_modules') continue;
      if (entry.isDirectory()) walk(child);
      else files.set(child, fs.readFileSync(path.join(tree, child), 'utf8'));
    }
  };
  walk('.');
  return files;
}

function generate(name: string, env: NodeJS.ProcessEnv = process.env): { status: number | null; out: string } {
  const result = spawnSync(
    process.execPath,
    ['-r', path.join(ROOT, 'node_modules/tsx/dist/cjs/index.cjs'), path.join(tree, 'scripts/make-domain.ts'), name],
    { cwd: tree, env, encoding: 'utf8', timeout: 60_000 },
  );
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

it.each([
  ['an upper-case name', 'Notes', 'is not a domain name'],
  ['a name that starts with a digit', '1notes', 'is not a domain name'],
  ['a name with a dash', 'order-notes', 'is not a domain name'],
  ['a name with a path in it', '../notes', 'is not a domain name'],
  ['a name too short', 'ab', 'is not a domain name'],
  ['an existing domain', 'risk', 'The domain risk exists already'],
  ['a name core uses', 'auth', 'names a part of the app already'],
])('when given %s, then it refuses with exit 64, says why, and writes nothing', (_what, name, says) => {
  const before = contents();

  const { status, out } = generate(name);

  expect(status).toBe(64);
  expect(out).toContain(says);
  expect(out).toContain('Nothing was written.');
  expect(contents()).toEqual(before);
});

it('when a file has lost the line that says where a domain goes, then it refuses naming the file, and writes nothing', () => {
  const modules = path.join(tree, 'src/modules.ts');
  const original = fs.readFileSync(modules, 'utf8');
  fs.writeFileSync(modules, original.replace("// make domain: new domains' routes go above this line.", ''));
  const before = contents();
  try {
    const { status, out } = generate('notes');

    expect(status).toBe(64);
    expect(out).toContain('src/modules.ts has lost its line');
    expect(contents()).toEqual(before);
  } finally {
    fs.writeFileSync(modules, original);
  }
});

it('when the Thrift compiler is missing half-way through, then it fails saying so, and every file is as it was before', () => {
  const before = contents();
  // A PATH with node, make and npx but no thrift: make thrift fails after the files are written.
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-nothrift-'));
  for (const tool of ['make', 'sh', 'bash', 'rm', 'mkdir', 'sed', 'grep', 'npx']) {
    const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (found) fs.symlinkSync(found, path.join(bin, tool));
  }
  fs.symlinkSync(process.execPath, path.join(bin, 'node'));
  try {
    const { status, out } = generate('notes', { ...process.env, PATH: bin });

    expect(status).toBe(1);
    expect(out).toContain('every file was put back as it was');
    expect(out).toContain('make --no-print-directory thrift failed');
    expect(contents()).toEqual(before);
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
});
