import path from 'node:path';
import type { z } from 'zod';
import type { RunningApp } from '../../src/core/app/app';
import { readIdl } from '../../src/core/rpc/idl';
import { methodNames } from '../../src/core/rpc/methods';
import { domainsOf } from '../../src/modules';
import { createEventBody, csEventSchema } from '../../src/service/cs/cs-schemas';
import { createTandemHandler } from '../../src/thrift/tandem-handler';
import { Processor } from '../../thrift/gen-nodejs/Tandem';
import { startTestApp } from '../helpers/app';
import { ROOT } from '../helpers/process';

/**
 * The Thrift contract and its implementation cannot drift apart unseen: the
 * IDL's methods and the handler's are the same, with the same arity, every
 * method that reaches a service declares the four exceptions our errors map
 * to, the generated stubs serve every method (make thrift was run), and the
 * IDL structs carry the fields of the domain's declarations they mirror.
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

it.each([
  ['CsEvent', csEventSchema, []],
  // creator_id names the staff member a sibling acts for; over HTTP it is the logged-in one.
  ['CreateCsEventRequest', createEventBody, ['creator_id']],
] as const)(
  'when the IDL struct %s is compared with the domain declaration it mirrors, then the fields agree',
  (struct, schema, idlOnly) => {
    const idlFields = (idl.structs.get(struct) ?? [])
      .map((f) => f.name)
      .filter((name) => !(idlOnly as readonly string[]).includes(name));
    expect(idlFields.sort()).toEqual(keysOf(schema));
  },
);
