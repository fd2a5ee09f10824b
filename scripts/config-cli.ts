/**
 * `npm run config -- print [--env dev|test|prod]`: the configuration a start
 * would use, one key a line with its value (secrets masked) and where the
 * value came from: the config file, a TANDEM_* variable, or the default.
 * Then whether a start accepts it; when it would refuse, the reasons go to
 * stderr, one line a key, and the status is 78 as a start's would be.
 *
 * Without --env it reads config.ts (or TANDEM_CONFIG_FILE) as the server
 * does; with --env NAME it reads the file `make config ENV=NAME` would write,
 * so that a prod file can be looked at before it exists.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  buildConfig,
  ConfigError,
  configLeaves,
  getPath,
  loadTsConfigFile,
  mergeInput,
  readConfigFile,
  refusalLines,
  changeMeKeys,
  markerLines,
  type ConfigInput,
} from '../src/core/config';

const USAGE = 'Usage: npm run config -- print [--env dev|test|prod]';
const ROOT = path.join(__dirname, '..');

/** The file `make config ENV=name` writes (the Makefile's sed line), read without writing config.ts. */
function exampleFor(envName: string): ConfigInput {
  const source = fs
    .readFileSync(path.join(ROOT, 'config.example.ts'), 'utf8')
    .replace(/^const env = '[a-z]+' as Env;/m, `const env = '${envName}' as Env;`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-config-'));
  try {
    fs.writeFileSync(path.join(dir, 'config.ts'), source);
    return loadTsConfigFile(path.join(dir, 'config.ts'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A value as printed: JSON, with a password, or the password inside a URL, masked. */
function shown(key: string, value: unknown): string {
  if (/password|secret|token/.test(key) && typeof value === 'string' && value !== '') return '"****"';
  if (typeof value === 'string' && /^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]+@/i.test(value)) {
    return JSON.stringify(value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*:)[^/@]+@/i, '$1****@'));
  }
  return JSON.stringify(value);
}

function print(envName: string | undefined): number {
  const file = envName === undefined ? readConfigFile(process.env) : exampleFor(envName);
  const fileName =
    envName === undefined
      ? (process.env.TANDEM_CONFIG_FILE ?? (file === undefined ? 'no file' : 'config.ts'))
      : `make config ENV=${envName}`;
  const leaves = configLeaves();
  const { merged, fromEnv } = mergeInput(file, process.env, leaves);
  const markers = changeMeKeys(merged);
  let config;
  try {
    config = buildConfig(file, process.env, () => undefined, { refuseUnsafe: false });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const line of err.lines) process.stderr.write(`${line}\n`);
    process.stderr.write('The configuration is invalid, so a start would stop with status 78; fix the keys above.\n');
    return 78;
  }
  const rows = leaves.map((leaf) => {
    const key = leaf.path.join('.');
    const source = fromEnv.get(key) ?? (getPath(file, leaf.path) === undefined ? 'default' : fileName);
    // A key still at CHANGE ME shows what the file holds; the start would refuse it (said below).
    const value = markers.includes(key) ? getPath(merged, leaf.path) : getPath(config, leaf.path);
    return [key, markers.includes(key) ? JSON.stringify(value) : shown(key, value), source];
  });
  const width = (i: number): number => Math.max(...rows.map((r) => (r[i] as string).length));
  process.stdout.write(
    `The configuration a start would use (${fileName}, then TANDEM_* variables, over the defaults); secrets are masked.\n\n`,
  );
  for (const [key, value, source] of rows) {
    process.stdout.write(`${(key as string).padEnd(width(0))}  ${(value as string).padEnd(width(1))}  ${source}\n`);
  }
  const refused = [...markerLines(markers), ...refusalLines(config, markers)];
  if (refused.length === 0) {
    process.stdout.write(`\nA start accepts this configuration (env ${config.env}).\n`);
    return 0;
  }
  for (const line of refused) process.stderr.write(`${line}\n`);
  process.stderr.write(
    `A start refuses this configuration (env ${config.env}) with status 78, for the reasons above.\n`,
  );
  return 78;
}

function main(args: string[]): number {
  const [command, ...rest] = args;
  if (command !== 'print') {
    process.stderr.write(`${USAGE}\n`);
    return 64;
  }
  let envName: string | undefined;
  if (rest.length > 0) {
    if (rest[0] !== '--env' || !['dev', 'test', 'prod'].includes(rest[1] ?? '') || rest.length > 2) {
      process.stderr.write(`${USAGE}\n`);
      return 64;
    }
    envName = rest[1];
  }
  return print(envName);
}

process.exitCode = main(process.argv.slice(2));
