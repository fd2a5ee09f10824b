import Ajv, { type ValidateFunction } from 'ajv-draft-04';
import { baseUrl } from '../helpers/app';
import { appWithOwnData } from '../helpers/cs';
import { call, type LoggedIn, loginAs } from '../helpers/staff';

/**
 * The OpenAPI document says what the server accepts, parameter by
 * parameter. For every path and query parameter of every GET operation that
 * documents a 400, the test takes a set of probe values, asks the served
 * document (with ajv) whether each is allowed, sends each alone, and
 * expects the server to agree: an allowed value is never refused as that
 * parameter (no 400 naming it) nor fails the server (5xx), and a forbidden
 * one is a 400 (1001) naming it.
 * The truth comes from the document itself, so a parameter added later
 * (a cursor) is held to its description the day it appears.
 *
 * Only GET operations are sent: the other methods of a path share its path
 * parameter's schema, and would need a valid body besides.
 */

type Json = Record<string, unknown>;
interface Parameter {
  name: string;
  in: 'path' | 'query';
  required?: boolean;
  schema: Json;
}
interface Operation {
  parameters?: Parameter[];
  responses: Record<string, unknown>;
}

const app = appWithOwnData();
let admin: LoggedIn;
let doc: { paths: Record<string, Record<string, Operation>> };

beforeAll(async () => {
  admin = await loginAs(app(), ['admin']);
  doc = (await (await fetch(`${baseUrl(app())}/openapi.json`)).json()) as typeof doc;
});

/** Values every parameter is probed with, besides those its own schema suggests. */
const COMMON = ['', 'x', '0', '1', '2', '-1', '+1', '1e3', '0x10', '007', '1.0', ' 1', 'mine', 'true', 'false'];
const U64_MAX = '18446744073709551615';
const EXTRA = [
  // status lists
  'pending',
  'pending,done',
  'remain, follow_up',
  'pending,',
  ',pending',
  'pending;done',
  'PENDING',
  'fraud',
  // dates
  '2024-03-10',
  '2024-02-29',
  '2023-02-29',
  '2024-02-30',
  '0000-00-00',
  '0000-01-01',
  '2024-13-01',
  '2024-3-10',
  '2024/03/10',
  // 64-bit ids
  U64_MAX,
  '18446744073709551616',
  '99999999999999999999',
  '1'.repeat(21),
  '9007199254740991',
  '9007199254740992',
];

/** Values near the limits a schema states: its enum, its integer range, its length. */
function suggested(schema: Json): string[] {
  const out: string[] = [];
  const branches = Array.isArray(schema.anyOf) ? (schema.anyOf as Json[]) : [schema];
  for (const branch of branches) {
    if (Array.isArray(branch.enum)) out.push(...(branch.enum as unknown[]).map(String));
    for (const key of ['minimum', 'maximum'] as const) {
      const n = branch[key];
      if (typeof n === 'number') out.push(String(n - 1), String(n), String(n + 1));
    }
    if (typeof branch.maxLength === 'number') {
      out.push('7'.repeat(branch.maxLength), '7'.repeat(branch.maxLength + 1));
    }
  }
  return out;
}

/**
 * A query or path value as the document's types read it: an OpenAPI integer
 * in a URL is decimal digits (no sign but a minus, no exponent, no leading
 * zero), so only those become a number; anything else stays a string, which
 * an integer schema refuses.
 */
function readAs(value: string): unknown[] {
  return /^-?(0|[1-9][0-9]*)$/.test(value) ? [value, Number(value)] : [value];
}

// `format: date` is also written as a pattern that checks real days (zod's), so the format itself
// is taken as known and not checked again; strict mode would otherwise refuse the unknown format.
const ajv = new Ajv({ strict: true, formats: { date: true } });
const validators = new Map<string, ValidateFunction>();

function allowed(schema: Json, value: string): boolean {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    validators.set(key, validate);
  }
  const check = validate;
  return readAs(value).some((v) => check(v));
}

interface Probe {
  path: string;
  param: Parameter;
  value: string;
  allowed: boolean;
}

function probes(): Probe[] {
  const out: Probe[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    const op = ops.get;
    if (!op?.parameters || !('400' in op.responses)) continue;
    for (const param of op.parameters) {
      const values = new Set([...COMMON, ...EXTRA, ...suggested(param.schema)]);
      for (const value of values) {
        // An empty path segment is another route (the list), not this parameter.
        if (param.in === 'path' && value === '') continue;
        out.push({ path, param, value, allowed: allowed(param.schema, value) });
      }
    }
  }
  return out;
}

function urlOf(p: Probe): string {
  const encoded = encodeURIComponent(p.value);
  if (p.param.in === 'path') return p.path.replace(`{${p.param.name}}`, encoded).replace(/\{[^}]+\}/g, '1');
  // A path parameter beside a query one gets 1, which every id of the document allows.
  return `${p.path.replace(/\{[^}]+\}/g, '1')}?${p.param.name}=${encoded}`;
}

describe('every documented parameter, held to the document', () => {
  it('when each parameter gets values the document allows and values it forbids, then the server accepts and refuses exactly those', async () => {
    const all = probes();
    const disagreements: string[] = [];
    for (const p of all) {
      const res = await call(app(), 'GET', urlOf(p), admin);
      const field = `${p.param.in === 'path' ? 'params' : 'query'}.${p.param.name}`;
      const refusedAsThis = res.status === 400 && res.body.code === 1001 && res.body.msg.includes(field);
      if (p.allowed && (refusedAsThis || res.status >= 500)) {
        disagreements.push(`${urlOf(p)}: the document allows it, the server answered ${res.status}: ${res.body.msg}`);
      }
      if (!p.allowed && !refusedAsThis) {
        disagreements.push(`${urlOf(p)}: the document forbids it, the server answered ${res.status} ${res.body.code}`);
      }
    }

    const params = new Set(all.map((p) => `${p.path} ${p.param.name}`));
    process.stderr.write(
      `  [figures] ${all.length} probes over ${params.size} parameters: ${all.filter((p) => p.allowed).length} allowed, ${all.filter((p) => !p.allowed).length} forbidden\n`,
    );
    expect(disagreements).toEqual([]);
    // The probes reach both sides of every parameter, so neither kind of check is empty.
    for (const name of params) {
      const mine = all.filter((p) => `${p.path} ${p.param.name}` === name);
      expect({ name, allowed: mine.some((p) => p.allowed), forbidden: mine.some((p) => !p.allowed) }).toEqual({
        name,
        allowed: true,
        forbidden: true,
      });
    }
  });
});
