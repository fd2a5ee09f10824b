import fs from 'node:fs';

/** One field of a struct, or one argument of a method, as the IDL declares it. */
export interface IdlField {
  id: number;
  name: string;
  /** As written in the IDL: `i64`, `string`, `CreateCsEventRequest`, `list<CsEvent>`. */
  type: string;
  required: boolean;
}

export interface IdlMethod {
  name: string;
  /** What it answers, as written in the IDL: `CsEvent`, `void`. */
  returns: string;
  oneway: boolean;
  args: IdlField[];
  /** The exceptions it declares (`throws`), by type. */
  throws: IdlField[];
}

/** What the argument checks need from a Thrift IDL file: its structs and its services' methods. */
export interface Idl {
  structs: Map<string, IdlField[]>;
  methods: Map<string, IdlMethod>;
}

/** Comments out, strings kept (none of the declarations read here holds a comment marker in a string). */
function stripComments(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, ' ')
    .replace(/#[^\n]*/g, ' ');
}

const FIELD = /(-?\d+)\s*:\s*(?:(required|optional)\s+)?([\w.]+(?:\s*<[^>]*>)?)\s+(\w+)/g;

function parseFields(body: string, argumentsAreRequired: boolean): IdlField[] {
  const fields: IdlField[] = [];
  for (const m of body.matchAll(FIELD)) {
    fields.push({
      id: Number(m[1]),
      required: argumentsAreRequired || m[2] === 'required',
      type: (m[3] as string).replace(/\s+/g, ''),
      name: m[4] as string,
    });
  }
  return fields;
}

/**
 * Reads the declarations of a Thrift IDL that argument checking needs:
 * structs (and exceptions and unions) with their fields, and each service's
 * methods with their arguments. It reads the subset of the grammar this
 * project's IDL uses (one level of `<...>` in a container type); the
 * compiler remains the judge of the file's validity.
 */
export function parseIdl(text: string): Idl {
  const src = stripComments(text);
  const structs = new Map<string, IdlField[]>();
  for (const m of src.matchAll(/\b(?:struct|exception|union)\s+(\w+)\s*\{([^}]*)\}/g)) {
    structs.set(m[1] as string, parseFields(m[2] as string, false));
  }
  const methods = new Map<string, IdlMethod>();
  for (const s of src.matchAll(/\bservice\s+\w+(?:\s+extends\s+[\w.]+)?\s*\{([\s\S]*?)\}/g)) {
    const METHOD = /(oneway\s+)?([\w.]+(?:\s*<[^>]*>)?)\s+(\w+)\s*\(([^)]*)\)(?:\s*throws\s*\(([^)]*)\))?/g;
    for (const m of (s[1] as string).matchAll(METHOD)) {
      // An argument the caller left out, or sent with the wrong type, is an error whatever its requiredness.
      methods.set(m[3] as string, {
        name: m[3] as string,
        returns: (m[2] as string).replace(/\s+/g, ''),
        oneway: Boolean(m[1]),
        args: parseFields(m[4] as string, true),
        throws: parseFields(m[5] ?? '', false),
      });
    }
  }
  return { structs, methods };
}

export function readIdl(file: string): Idl {
  return parseIdl(fs.readFileSync(file, 'utf8'));
}
