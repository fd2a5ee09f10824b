import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { DevError } from '../../exception';

export type JsonSchema = Record<string, unknown>;

const COMPONENT_PREFIX = '#/components/schemas/';

/**
 * The named schemas of one OpenAPI document (`components/schemas`), filled as
 * the routes' zod schemas are converted.
 *
 * zod's `toJSONSchema` converts one schema at a time, and puts what it must
 * name (a recursive schema such as the category tree, or one given an `id`
 * with `.meta({ id })`) in a `definitions` block of that schema, with `$ref`s
 * to `#/definitions/<name>`. In a JSON Schema document that resolves; inside
 * an OpenAPI document the pointer starts at the document's root, where there
 * is no `definitions`, and validators, code generators and gateways refuse
 * it. Here each such block moves to `components/schemas` and every `$ref` is
 * rewritten to point there.
 */
export class SchemaComponents {
  readonly schemas: Record<string, JsonSchema> = {};

  /**
   * The JSON Schema of `schema` as OpenAPI 3.0 reads it, its named parts
   * moved to the components. `owner` names anonymous parts (zod's
   * `__schema0`), so that two routes never share a name by accident.
   */
  convert(schema: z.ZodType, io: 'input' | 'output', owner: string): JsonSchema {
    const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'openapi-3.0' }) as JsonSchema;
    delete json.$schema;
    const defs = { ...(json.definitions as Record<string, JsonSchema> | undefined) };
    delete json.definitions;
    // Several names per conversion: decide them all before rewriting, since definitions refer to each other.
    const names = new Map<string, string>();
    let anonymous = 0;
    for (const key of Object.keys(defs)) {
      if (key.startsWith('__schema')) {
        names.set(key, `${owner}${anonymous === 0 ? '' : anonymous}`);
        anonymous += 1;
      } else {
        names.set(key, io === 'input' ? `${key}Input` : key);
      }
    }
    const rename = (ref: string): string => {
      const key = ref.startsWith('#/definitions/') ? ref.slice('#/definitions/'.length) : undefined;
      const name = key === undefined ? undefined : names.get(key);
      if (name === undefined) {
        throw new DevError('INTERNAL', {
          cause: new Error(`${owner}: zod emitted a $ref that cannot be moved: ${ref}`),
        });
      }
      return `${COMPONENT_PREFIX}${name}`;
    };
    for (const [key, def] of Object.entries(defs)) this.add(names.get(key) as string, fixUp(def, rename));
    return fixUp(json, rename);
  }

  /** Adds a named schema; the same name twice must mean the same schema. */
  add(name: string, schema: JsonSchema): void {
    const existing = this.schemas[name];
    if (existing !== undefined && !isDeepStrictEqual(existing, schema)) {
      throw new DevError('INTERNAL', {
        cause: new Error(`Two different schemas are named ${name} in the OpenAPI document: give one another id.`),
      });
    }
    this.schemas[name] = schema;
  }
}

/**
 * A copy of `value` with every `$ref` string passed through `rename`, and
 * each null zod allows written so that OpenAPI 3.0 validators check it: a
 * nullable enum, or a nullable union, gets a branch of its own for null.
 */
function fixUp<T>(value: T, rename: (ref: string) => string): T {
  if (Array.isArray(value)) return value.map((item: unknown) => fixUp(item, rename)) as T;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] = key === '$ref' && typeof child === 'string' ? rename(child) : fixUp(child, rename);
  }
  if (out.nullable === true && Array.isArray(out.enum)) return nullableEnum(out) as T;
  if (out.nullable === true && out.type === undefined) return nullableWithoutType(out) as T;
  return out as T;
}

/**
 * Only null, as OpenAPI 3.0 can say it: `nullable` widens a `type` (3.0 has
 * no type "null"), and `not` refuses every object, so null alone is left.
 * No `enum: [null]`: Prism (5.14) silently skips validating any schema whose
 * enum lists null, and OpenAPI 3.0.3 says `nullable` does not widen an
 * enum, so a nullable enum without null in its list refuses null in strict
 * validators. ajv (with `nullable`) and Prism both check this form.
 */
export const NULL_ONLY: Readonly<Record<string, unknown>> = Object.freeze({
  type: 'object',
  nullable: true,
  not: { type: 'object' },
});

const ANNOTATIONS = new Set(['description', 'default', 'example', 'title', 'deprecated', 'readOnly', 'writeOnly']);

/**
 * A nullable enum (zod's `.nullable()` on an enum, or `z.null()`, which
 * zod writes as a string enum of null) as its values or null: the values
 * without null in one branch, NULL_ONLY in the other (see NULL_ONLY for why
 * null stays out of enums).
 */
function nullableEnum(schema: Record<string, unknown>): Record<string, unknown> {
  const { nullable: _nullable, enum: values, ...rest } = schema;
  const kept = (values as unknown[]).filter((v) => v !== null);
  const annotations = Object.fromEntries(Object.entries(rest).filter(([key]) => ANNOTATIONS.has(key)));
  if (kept.length === 0) return { ...annotations, ...NULL_ONLY };
  const constraints = Object.fromEntries(Object.entries(rest).filter(([key]) => !ANNOTATIONS.has(key)));
  return { ...annotations, anyOf: [{ ...constraints, enum: kept }, NULL_ONLY] };
}

/**
 * zod marks a nullable union (`anyOf`) with `nullable: true` beside it, but
 * OpenAPI 3.0.3 defines `nullable` only next to `type`: elsewhere it allows
 * no null. The null becomes one more branch of the union instead.
 */
function nullableWithoutType(schema: Record<string, unknown>): Record<string, unknown> {
  const { nullable: _nullable, ...rest } = schema;
  if (Array.isArray(rest.anyOf)) return { ...rest, anyOf: [...(rest.anyOf as unknown[]), NULL_ONLY] };
  if (Array.isArray(rest.oneOf)) return { ...rest, oneOf: [...(rest.oneOf as unknown[]), NULL_ONLY] };
  const annotations = Object.fromEntries(Object.entries(rest).filter(([key]) => ANNOTATIONS.has(key)));
  const constraints = Object.fromEntries(Object.entries(rest).filter(([key]) => !ANNOTATIONS.has(key)));
  return { ...annotations, anyOf: [constraints, NULL_ONLY] };
}
