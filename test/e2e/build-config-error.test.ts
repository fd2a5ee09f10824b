import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/process';

/**
 * `make build` when config.ts does not type-check: the build fails and
 * leaves no half-built dist/ that `npm start` would run. Built in a copy of
 * the sources (the shared config.ts and dist/ are left alone), with
 * node_modules linked in.
 */

let dir: string;

function build(): { code: number | null; output: string } {
  const run = spawnSync('make', ['--no-print-directory', 'build'], { cwd: dir, encoding: 'utf8', timeout: 170_000 });
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

const WRONG = `import type { ConfigInput } from './src/core/config';
const config: ConfigInput = { env: 'dev', http: { port: '8000' } };
export default config;
`;
const RIGHT = `import type { ConfigInput } from './src/core/config';
const config: ConfigInput = { env: 'dev', http: { port: 8000 } };
export default config;
`;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-build-'));
  const parts = ['src', 'scheduler', 'scripts', 'thirdparty', 'thrift', 'config.example.ts', 'tsconfig.json'];
  for (const part of [...parts, 'tsconfig.build.json', 'Makefile', 'package.json']) {
    fs.cpSync(path.join(ROOT, part), path.join(dir, part), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

it('when config.ts fails the type check on a first build, then make build fails naming it and writes no dist/ to start', () => {
  fs.writeFileSync(path.join(dir, 'config.ts'), WRONG);

  const result = build();

  expect(result.code).not.toBe(0);
  expect(result.output).toContain('config.ts');
  expect(fs.existsSync(path.join(dir, 'dist/src/main.js'))).toBe(false);
  expect(fs.existsSync(path.join(dir, 'dist/config.js'))).toBe(false);
}, 180_000);

it('when config.ts is fixed, built, then broken again, then the failed build leaves the last good build whole', () => {
  fs.writeFileSync(path.join(dir, 'config.ts'), RIGHT);
  expect(build().code).toBe(0);
  const goodConfig = fs.readFileSync(path.join(dir, 'dist/config.js'), 'utf8');
  expect(goodConfig).toContain('port: 8000');

  fs.writeFileSync(path.join(dir, 'config.ts'), WRONG);
  const result = build();

  expect(result.code).not.toBe(0);
  expect(fs.readFileSync(path.join(dir, 'dist/config.js'), 'utf8')).toBe(goodConfig);
}, 360_000);
