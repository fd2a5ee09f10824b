import type { FieldError } from '../../exception';
import { validationFailed } from '../validation';
import type { Idl, IdlField } from './idl';
import { wrapMethods } from './methods';
import { NOT_UNICODE } from '../text';
import { notUtf8InThisMessage, skippedInThisMessage } from './tracking-protocol';

const CONTAINER = /^(?:list|set)<(.+)>$/;

/** The fields of the struct a value of `type` holds (a list or set of structs holds its element's). */
function fieldsOf(idl: Idl, type: string): IdlField[] | undefined {
  const element = CONTAINER.exec(type);
  return idl.structs.get(element ? (element[1] as string) : type);
}

/** The dotted name of a field path (argument id first), or undefined when an id is not in the IDL. */
function nameOf(idl: Idl, args: IdlField[], path: readonly number[]): (IdlField & { dotted: string }) | undefined {
  let fields: IdlField[] | undefined = args;
  let dotted = '';
  let field: IdlField | undefined;
  for (const id of path) {
    field = fields?.find((f) => f.id === id);
    if (!field) return undefined;
    dotted = dotted ? `${dotted}.${field.name}` : field.name;
    fields = fieldsOf(idl, field.type);
  }
  return field ? { ...field, dotted } : undefined;
}

/** Required fields left unset in `value` (a struct of `type`), one level down per nested struct. */
function missingIn(idl: Idl, type: string, value: unknown, prefix: string, out: FieldError[], depth: number): void {
  const fields = idl.structs.get(type);
  if (!fields || value === null || typeof value !== 'object' || depth > 8) return;
  const record = value as Record<string, unknown>;
  for (const field of fields) {
    const v = record[field.name];
    if (v === null || v === undefined) {
      if (field.required) out.push({ field: `${prefix}.${field.name}`, message: `required ${field.type} is missing` });
    } else {
      missingIn(idl, field.type, v, `${prefix}.${field.name}`, out, depth + 1);
    }
  }
}

/** The fields of `value` (named from `prefix` down) that hold one of `bad`, the strings that were not UTF-8. */
function fieldsHolding(bad: ReadonlySet<string>, value: unknown, prefix: string, out: FieldError[], depth = 0): void {
  if (typeof value === 'string') {
    if (bad.has(value)) out.push({ field: prefix, message: NOT_UNICODE });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => fieldsHolding(bad, item, `${prefix}.${i}`, out, depth + 1));
  } else if (value instanceof Map) {
    for (const [key, item] of value) fieldsHolding(bad, item, `${prefix}.${String(key)}`, out, depth + 1);
  } else if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value) && depth < 16) {
    for (const [key, item] of Object.entries(value)) fieldsHolding(bad, item, `${prefix}.${key}`, out, depth + 1);
  }
}

/** What is wrong with one call's decoded arguments, by the IDL: every bad field at once. */
export function argumentErrors(idl: Idl, method: string, values: readonly unknown[]): FieldError[] {
  const declared = idl.methods.get(method);
  if (!declared) return [];
  const errors: FieldError[] = [];
  const wrong = new Set<string>();
  for (const skip of skippedInThisMessage()) {
    const field = nameOf(idl, declared.args, skip.path);
    // An id the IDL does not know is a newer caller's field: skipped, as Thrift intends.
    if (!field) continue;
    wrong.add(field.dotted);
    errors.push({ field: field.dotted, message: `expected ${field.type}` });
  }
  declared.args.forEach((arg, i) => {
    const value = values[i];
    if (value === null || value === undefined) {
      if (!wrong.has(arg.name)) errors.push({ field: arg.name, message: `required ${arg.type} is missing` });
      return;
    }
    const missing: FieldError[] = [];
    missingIn(idl, arg.type, value, arg.name, missing, 0);
    for (const m of missing) if (!wrong.has(m.field)) errors.push(m);
  });
  // Text whose bytes were not UTF-8, in a field the IDL knows (an unknown field's is skipped unread).
  const notUtf8 = notUtf8InThisMessage();
  if (notUtf8.length > 0) {
    const bad = new Set(notUtf8);
    declared.args.forEach((arg, i) => fieldsHolding(bad, values[i], arg.name, errors));
  }
  return errors;
}

/**
 * Wraps each method of a handler so that arguments missing, or sent with a
 * type other than the IDL's, are refused before the method runs: a
 * UserError VALIDATION_FAILED (1001) naming each bad field, for every method
 * in one place. Wrap it inside wrapHandler, which answers that error as the
 * IDL's UserException. The wrapper keeps each method's arity (the generated
 * processor reads it).
 */
export function checkArguments<H extends object>(impl: H, idl: Idl): H {
  return wrapMethods(impl, (name, method) => {
    // A method without arguments has nothing to check (a field it skipped is one it does not know).
    if ((idl.methods.get(name)?.args.length ?? 0) === 0) return undefined;
    return (...args: unknown[]): unknown => {
      const errors = argumentErrors(idl, name, args);
      if (errors.length > 0) throw validationFailed(errors);
      return method.apply(impl, args);
    };
  });
}
