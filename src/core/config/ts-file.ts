import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { transform } from 'sucrase';
import type { ConfigInput } from './schema';

/**
 * Loads a TypeScript config file in a process that runs compiled code: a
 * release on a host, whose `shared/config.ts` is the host's own and where no
 * TypeScript loader is installed (Node 20 strips no types itself). sucrase
 * only removes the types and turns imports into require(), as tsx does in
 * development, so one file works in both.
 */
export function loadTsConfigFile(file: string): ConfigInput {
  const source = fs.readFileSync(file, 'utf8');
  const { code } = transform(source, { transforms: ['typescript', 'imports'], filePath: file });
  const mod: { exports: { default?: unknown } } = { exports: {} };
  // The CommonJS wrapper, as Node runs a module: the file's own require resolves from its directory.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the config file is code by design, like require()
  const run = new Function('exports', 'require', 'module', '__filename', '__dirname', code) as (
    ...args: unknown[]
  ) => void;
  run(mod.exports, createRequire(file), mod, file, path.dirname(file));
  // What the file exports is checked by buildConfig against the schema, like any config file.
  const exported: unknown = mod.exports.default ?? mod.exports;
  return exported as ConfigInput;
}
