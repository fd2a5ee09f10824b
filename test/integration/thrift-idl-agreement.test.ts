import path from 'node:path';
import type { z } from 'zod';
import type { RunningApp } from '../../src/core/app/app';
import { readIdl } from '../../src/core/rpc/idl';
import { methodNames } from '../../src/core/rpc/methods';
import { domainsOf } from '../../src/modules';
import { csEventSchema } from '../../src/service/cs/cs-schemas';
import type { AnyOperation } from '../../src/core/pipeline';
import { createTandemHandler } from '../../src/thrift/tandem-handler';
import { Processor } from '../../thrift/gen-nodejs/Tandem';
import { startTestApp } from '../helpers/app';
import { ROOT } from '../helpers/process';

/**
 * The Thrift contract and its implementation cannot drift apart unseen: the
 * IDL's methods and the handler's are the same, with the same arity, every
 * method that reaches a service declares the four exceptions our errors map
 * to, the generated stubs serve every method (make thrift was run), each
 * method is an operation a domain declares (with the same input fields and
 * an answer made of its output's fields) or one named Thrift-only here, and
 * the IDL structs carry the fields of the domain's declarations they mirror.
 * Built from the running app's own domains.
 */

const idl = readIdl(path.join(ROOT, 'thrift/tandem.thrift'));
const EXCEPTIONS = ['UserException', 'AuthException', 'ServerException', 'ThirdPartyException'];
/** The two methods that reach no service: ping answers alone, hello only names the caller. */
const CONNECTION_METHODS = new Set(['ping', 'hello']);

let app: RunningApp;
let handler: Record<string, unknown>;

beforeAll(async () => {
  app = await startTestApp();
  handler = createTandemHandler(domainsOf(app.resources)) as unknown as Record<string, unknown>;
});

afterAll(async () => {
  await app.stop();
});

it('when the IDL and the handler are read side by side, then they have the same methods', () => {
  expect(methodNames(handler).sort()).toEqual([...idl.methods.keys()].sort());
});

it('when each method is compared, then the handler takes as many arguments as the IDL declares', () => {
  for (const method of idl.methods.values()) {
    expect({ method: method.name, arity: (handler[method.name] as (...a: unknown[]) => unknown).length }).toEqual({
      method: method.name,
      arity: method.args.length,
    });
  }
});

it('when a method reaches a service, then it declares the four exceptions our errors map to', () => {
  for (const method of idl.methods.values()) {
    if (CONNECTION_METHODS.has(method.name)) continue;
    expect({ method: method.name, throws: method.throws.map((f) => f.type) }).toEqual({
      method: method.name,
      throws: EXCEPTIONS,
    });
  }
});

it('when the IDL changes, then the generated processor serves each of its methods (make thrift was run)', () => {
  const processor = Processor.prototype as unknown as Record<string, unknown>;
  for (const name of idl.methods.keys())
    expect({ name, served: typeof processor[`process_${name}`] }).toEqual({ name, served: 'function' });
});

/** The field names of a zod object schema. */
function keysOf(schema: z.ZodType): string[] {
  return Object.keys((schema as unknown as { shape: Record<string, unknown> }).shape).sort();
}

/** Methods the Thrift adapter answers itself, with no operation shared with HTTP: the door's own, and its by-user lists. */
const THRIFT_ONLY = new Set([...CONNECTION_METHODS, 'list_cs_events_by_user', 'list_cs_events_by_user_cursor']);
/** Fields an IDL request struct carries beyond its operation's input: whom a sibling acts for (over HTTP, the logged-in one). */
const IDL_ONLY: Record<string, readonly string[]> = { CreateCsEventRequest: ['creator_id'] };

/** Every operation the domains declare (core/pipeline/operation.ts), read from the running app's domains. */
function declaredOperations(): AnyOperation[] {
  const found: AnyOperation[] = [];
  for (const domain of Object.values(domainsOf(app.resources)) as object[]) {
    if ('operations' in domain) found.push(...Object.values(domain.operations as Record<string, AnyOperation>));
  }
  return found;
}

it('when the IDL methods are read, then each that reaches a service is a declared operation or named Thrift-only here', () => {
  const declared = new Set(declaredOperations().map((op) => op.name));
  expect(declared.size).toBeGreaterThanOrEqual(3);
  const neither = [...idl.methods.keys()].filter((name) => !declared.has(name) && !THRIFT_ONLY.has(name));
  expect(neither).toEqual([]);
  // A declared operation served by no IDL method would be a name that drifted from the IDL's.
  expect([...declared].filter((name) => !idl.methods.has(name))).toEqual([]);
});

it('when each declared operation is compared with its IDL method, then the arguments carry exactly its input fields', () => {
  for (const op of declaredOperations()) {
    const method = idl.methods.get(op.name);
    const [only] = method?.args ?? [];
    const struct = method?.args.length === 1 && only ? idl.structs.get(only.type) : undefined;
    // One request struct: its fields are the input (less what only the IDL carries); else the arguments are.
    const fields = struct
      ? struct.map((f) => f.name).filter((name) => !(IDL_ONLY[only?.type ?? ''] ?? []).includes(name))
      : (method?.args ?? []).map((f) => f.name);
    expect({ operation: op.name, fields: fields.sort() }).toEqual({ operation: op.name, fields: keysOf(op.input) });
  }
});

it('when each declared operation is compared with its IDL method, then the answer struct carries fields of its output', () => {
  for (const op of declaredOperations()) {
    const returns = idl.methods.get(op.name)?.returns ?? '';
    const struct = idl.structs.get(returns);
    expect({ operation: op.name, struct: returns, known: struct !== undefined }).toEqual({
      operation: op.name,
      struct: returns,
      known: true,
    });
    const output = new Set(keysOf(op.output));
    const strays = (struct ?? []).map((f) => f.name).filter((name) => !output.has(name));
    expect({ operation: op.name, strays }).toEqual({ operation: op.name, strays: [] });
  }
});

it('when the IDL struct CsEvent is compared with the domain declaration it mirrors, then the fields agree', () => {
  const idlFields = (idl.structs.get('CsEvent') ?? []).map((f) => f.name);
  expect(idlFields.sort()).toEqual(keysOf(csEventSchema));
});
