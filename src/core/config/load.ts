import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { type Config, type ConfigInput, configSchema } from './schema';
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

function getPath(source: unknown, at: (string | number)[]): unknown {
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

function describeFound(value: unknown): string {
  if (value === undefined) return 'nothing';
  return JSON.stringify(value);
}

/**
 * Builds the configuration from a config file's object and the environment
 * (`TANDEM_*` wins over the file). Reports every bad key at once.
 */
export function buildConfig(file: ConfigInput | undefined, env: NodeJS.ProcessEnv): Config {
  const merged = structuredClone((file ?? {}) as Record<string, unknown>);
  const fromEnv = new Map<string, string>();
  const leaves = configLeaves();
  for (const leaf of leaves) {
    const raw = env[leaf.env];
    if (raw === undefined) continue;
    setPath(merged, leaf.path, coerce(raw, leaf.kind));
    fromEnv.set(leaf.path.join('.'), leaf.env);
  }
  const result = configSchema.safeParse(merged);
  if (result.success) return deepFreeze(result.data);

  const lines = result.error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    if (keys.length > 0) {
      const names = keys.map((k) => [...issue.path, k].join('.')).join(', ');
      return `Configuration key ${names} is not a known key; remove it or check its spelling against config.example.ts.`;
    }
    const key = issue.path.join('.');
    const source = fromEnv.has(key) ? `environment variable ${fromEnv.get(key)}` : 'config.ts';
    const leaf = leaves.find((l) => l.path.join('.') === key);
    const envHint = leaf && !fromEnv.has(key) ? ` (or ${leaf.env})` : '';
    const found = describeFound(getPath(merged, issue.path as (string | number)[]));
    const meaning = leaf?.doc ? ` The key is: ${leaf.doc}` : '';
    const problem = issue.message.replace(/^Invalid input: /, '');
    return `Configuration key ${key || '(root)'} from ${source}${envHint} is ${found}, which is invalid: ${problem}.${meaning}`;
  });
  throw new ConfigError(lines);
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
