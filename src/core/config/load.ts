import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { type Config, type ConfigInput, configSchema } from './schema';
import { changeMeKeys, markerLines, refusalLines, withoutMarkers } from './safety';
import { migrateLegacyZeus } from './thirdparty-schema';
import { loadTsConfigFile } from './ts-file';

const ENV_PREFIX = 'TANDEM_';

type LeafKind = 'number' | 'boolean' | 'string' | 'array';

interface Leaf {
  path: string[];
  env: string;
  kind: LeafKind;
  doc: string;
}

/** Thrown when configuration is invalid; `lines` has one line per bad key. */
export class ConfigError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
    this.name = 'ConfigError';
  }
}

interface ZodInternals {
  _zod: { def: { type: string; innerType?: z.ZodType; shape?: Record<string, z.ZodType> } };
  description?: string;
}

function internals(schema: z.ZodType): ZodInternals {
  return schema;
}

/** Walks wrappers (default, prefault, optional) down to the schema that says the type. */
function unwrap(schema: z.ZodType): { core: z.ZodType; doc: string } {
  let current = schema;
  let doc = internals(schema).description ?? '';
  for (;;) {
    const def = internals(current)._zod.def;
    if (def.innerType && ['default', 'prefault', 'optional', 'nullable'].includes(def.type)) {
      current = def.innerType;
      doc ||= internals(current).description ?? '';
      continue;
    }
    return { core: current, doc };
  }
}

/** Every key of the schema with its environment variable and type. */
export function configLeaves(): Leaf[] {
  const leaves: Leaf[] = [];
  const walk = (schema: z.ZodType, at: string[]): void => {
    const { core, doc } = unwrap(schema);
    const def = internals(core)._zod.def;
    if (def.type === 'object' && def.shape) {
      for (const [key, child] of Object.entries(def.shape)) walk(child, [...at, key]);
      return;
    }
    const kind: LeafKind =
      def.type === 'number' || def.type === 'boolean' || def.type === 'array' ? def.type : 'string';
    leaves.push({ path: at, env: ENV_PREFIX + at.join('_').toUpperCase(), kind, doc });
  };
  walk(configSchema, []);
  return leaves;
}

function coerce(raw: string, kind: LeafKind): unknown {
  switch (kind) {
    case 'number': {
      const n = Number(raw);
      return raw.trim() === '' || Number.isNaN(n) ? raw : n;
    }
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(raw)) return true;
      if (/^(false|0|no|off)$/i.test(raw)) return false;
      return raw;
    case 'array':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    case 'string':
      return raw;
  }
}

function setPath(target: Record<string, unknown>, at: string[], value: unknown): void {
  let node = target;
  for (const key of at.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) {
      node[key] = {};
    }
    node = node[key] as Record<string, unknown>;
  }
  node[at[at.length - 1] as string] = value;
}

export function getPath(source: unknown, at: (string | number)[]): unknown {
  let node: unknown = source;
  for (const key of at) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** `TANDEM_*` variables read outside the configuration schema. */
const OTHER_VARIABLES = new Set(['TANDEM_CONFIG_FILE', 'TANDEM_CACHE_DIR']);
/** Left to the test suite's fixtures. */
const TEST_PREFIX = 'TANDEM_TEST_';

/**
 * Edits (insert, delete, substitute, swap two neighbours) between two names:
 * a swap counts once, so TANDEM_HTTP_PROT is one edit from TANDEM_HTTP_PORT.
 */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (rows[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * One line per `TANDEM_*` variable that names no configuration key (a typo
 * would otherwise be ignored without a word), with the nearest valid name
 * when one is close.
 */
export function unknownVariableLines(env: NodeJS.ProcessEnv, leaves: Leaf[] = configLeaves()): string[] {
  const known = new Map(leaves.map((leaf) => [leaf.env, leaf.path.join('.')]));
  const lines: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith(ENV_PREFIX) || known.has(name) || OTHER_VARIABLES.has(name)) continue;
    if (name.startsWith(TEST_PREFIX)) continue;
    let nearest: { env: string; key: string; distance: number } | undefined;
    for (const [candidate, key] of known) {
      const distance = editDistance(name, candidate);
      if (!nearest || distance < nearest.distance) nearest = { env: candidate, key, distance };
    }
    // Close enough to be the same name mistyped: a few edits, fewer for short names.
    const close = nearest && nearest.distance <= Math.min(3, Math.ceil((name.length - ENV_PREFIX.length) / 3));
    lines.push(
      close && nearest
        ? `Environment variable ${name} is not a configuration key; did you mean ${nearest.env} (${nearest.key})?`
        : `Environment variable ${name} is not a configuration key; each key's variable is listed in config.example.ts.`,
    );
  }
  return lines;
}

function writeWarning(line: string): void {
  process.stderr.write(`Warning: ${line}\n`);
}

/** What a bad key holds: its value, or that it was left out (a rule across keys then judged its default). */
function describeFound(value: unknown, acrossKeys: boolean): string {
  if (value === undefined) return acrossKeys ? 'left at its default' : 'missing';
  return JSON.stringify(value);
}

/** A config file's object with the `TANDEM_*` variables applied, and which keys the variables set. */
export function mergeInput(
  file: ConfigInput | undefined,
  env: NodeJS.ProcessEnv,
  leaves: Leaf[] = configLeaves(),
): { merged: Record<string, unknown>; fromEnv: Map<string, string> } {
  const merged = structuredClone((file ?? {}) as Record<string, unknown>);
  const fromEnv = new Map<string, string>();
  for (const leaf of leaves) {
    const raw = env[leaf.env];
    if (raw === undefined) continue;
    setPath(merged, leaf.path, coerce(raw, leaf.kind));
    fromEnv.set(leaf.path.join('.'), leaf.env);
  }
  return { merged, fromEnv };
}

/**
 * Builds the configuration from a config file's object and the environment
 * (`TANDEM_*` wins over the file). Reports every bad key at once. A
 * `TANDEM_*` variable that names no key is refused in prod (a deploy should
 * not run with a setting silently dropped) and given to `warn` elsewhere; a
 * CHANGE ME marker, and in prod a known-unsafe value that accept_risks does
 * not name, are refused unless `refuseUnsafe` is false (to print them).
 */
export function buildConfig(
  file: ConfigInput | undefined,
  env: NodeJS.ProcessEnv,
  warn: (line: string) => void = writeWarning,
  options: { refuseUnsafe?: boolean } = {},
): Config {
  const leaves = configLeaves();
  const { merged: current, fromEnv } = mergeInput(file, env, leaves);
  // A host's config of the former zeus shape keeps working; the warning says how to write it now.
  const legacy = migrateLegacyZeus(current, env);
  const input = legacy.input;
  // A key left at CHANGE ME is said as such, not as a malformed value; the rest is checked without it.
  const markers = changeMeKeys(input);
  const merged = withoutMarkers(input, markers);
  const marked = options.refuseUnsafe === false ? [] : markerLines(markers);
  const result = configSchema.safeParse(merged);
  const unknown = unknownVariableLines(env, leaves).filter(
    (line) => !legacy.usedEnv.some((v) => line.includes(`${v} `)),
  );
  if (legacy.warning !== undefined) warn(legacy.warning);
  if (result.success) {
    if (unknown.length > 0 && result.data.env === 'prod') {
      throw new ConfigError([...unknown, 'Unknown TANDEM_* variables are refused when env is prod.']);
    }
    unknown.forEach((line) => warn(line));
    const refused = options.refuseUnsafe === false ? [] : [...marked, ...refusalLines(result.data, markers)];
    if (refused.length > 0) throw new ConfigError(refused);
    return deepFreeze(result.data);
  }

  const lines = result.error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    if (keys.length > 0) {
      const names = keys.map((k) => keyName([...issue.path, k])).join(', ');
      return `Configuration key ${names} is not a known key; remove it or check its spelling against config.example.ts.`;
    }
    const key = keyName(issue.path);
    // An entry of a list (redis.sentinels[1]) comes from where its list came from.
    const leafKey = issue.path.filter((part) => typeof part !== 'number').join('.');
    const source = fromEnv.has(leafKey) ? `environment variable ${fromEnv.get(leafKey)}` : 'config.ts';
    const leaf = leaves.find((l) => l.path.join('.') === leafKey);
    const envHint = leaf && !fromEnv.has(leafKey) ? ` (or ${leaf.env})` : '';
    const found = describeFound(getPath(merged, issue.path as (string | number)[]), issue.code === 'custom');
    const meaning = leaf?.doc ? ` The key is: ${leaf.doc}` : '';
    const problem = issue.message.replace(/^Invalid input: /, '');
    return `Configuration key ${key || '(root)'} from ${source}${envHint} is ${found}, which is invalid: ${problem}.${meaning}`;
  });
  // A mistyped variable may be why a key is missing or wrong: said with the rest.
  throw new ConfigError([...marked, ...lines, ...unknown]);
}

/** A key as people write it: `redis.sentinels[1]`, `thirdparty.zeus.instances[0]`. */
function keyName(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i > 0 ? '.' : ''}${String(part)}`))
    .join('');
}

/** The project root: where package.json is, whether running from src/ or dist/. */
function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/**
 * Reads `config.ts` (compiled to `dist/config.js` in a build) if present.
 * `TANDEM_CONFIG_FILE` points at another file; no file means defaults and env.
 */
export function readConfigFile(env: NodeJS.ProcessEnv): ConfigInput | undefined {
  const explicit = env.TANDEM_CONFIG_FILE;
  const candidates = explicit
    ? [path.resolve(explicit)]
    : [path.join(__dirname, '..', '..', '..', 'config'), path.join(projectRoot(), 'config')];
  for (const candidate of candidates) {
    let resolved: string;
    try {
      resolved = require.resolve(candidate);
    } catch {
      if (explicit) throw new ConfigError([`Configuration file ${explicit} (TANDEM_CONFIG_FILE) was not found.`]);
      continue;
    }
    // A .ts file where no TypeScript loader is registered (compiled code on a host) is transpiled here.
    if (resolved.endsWith('.ts') && !require.extensions['.ts']) return loadTsConfigFile(resolved);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the config file is chosen at run time
    const loaded = require(resolved) as { default?: ConfigInput } & ConfigInput;
    return loaded.default ?? loaded;
  }
  // A release links the host's config.ts beside its package.json, where require() alone cannot see it.
  const beside = path.join(projectRoot(), 'config.ts');
  if (!explicit && !require.extensions['.ts'] && fs.existsSync(beside)) return loadTsConfigFile(beside);
  return undefined;
}
