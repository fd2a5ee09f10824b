import { z } from 'zod';
import { operationRoute } from '../../src/core/api/route';
import { newContext } from '../../src/core/ctx';
import { defineOperation, operationInput } from '../../src/core/pipeline';
import { operationMethod } from '../../src/core/rpc';
import { UserError } from '../../src/exception';

/**
 * An operation declared once and bound to each door (core/pipeline/operation.ts):
 * the HTTP route takes its summary, permission, schemas and codes from the
 * declaration; the Thrift method checks decoded input with the same schema,
 * names bad fields under its part, and encodes the answer.
 */

interface Who {
  id: number;
}

const calls: { actor: Who; input: { title: string; size: number } }[] = [];

const renameItem = defineOperation({
  name: 'rename_item',
  summary: 'Rename an item.',
  permission: 'item.write',
  input: z.strictObject({ title: z.string().trim().min(1).max(20), size: z.number().int().min(1).default(1) }),
  output: z.object({ title: z.string(), size: z.number(), by: z.number() }),
  errors: ['ITEM_NOT_FOUND'],
  handler: (actor: Who, input) => {
    calls.push({ actor, input });
    return input.title === 'later'
      ? Promise.resolve({ ...input, by: actor.id })
      : { title: input.title, size: input.size, by: actor.id };
  },
});

function validationFields(fn: () => unknown): { field: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).errorName).toBe('VALIDATION_FAILED');
    return [...(err as UserError).fields];
  }
  throw new Error('expected a VALIDATION_FAILED');
}

beforeEach(() => {
  calls.length = 0;
});

describe('operationInput', () => {
  it('when a request struct holds bad fields, then every one is named under its part in one error', () => {
    const fields = validationFields(() => operationInput(renameItem, { title: '', size: 0, extra: 1 }, 'request'));
    expect(fields.map((f) => f.field).sort()).toEqual(['request', 'request.size', 'request.title']);
  });

  it('when the arguments are the input itself (no part), then a bad field is named alone', () => {
    expect(validationFields(() => operationInput(renameItem, { title: 7 }, '')).map((f) => f.field)).toEqual(['title']);
  });

  it('when the input is good, then it is the schema’s output: trimmed, defaults filled', () => {
    expect(operationInput(renameItem, { title: '  lamp ' }, 'request')).toEqual({ title: 'lamp', size: 1 });
  });
});

describe('operationMethod (the Thrift binding)', () => {
  const method = operationMethod(renameItem, {
    part: 'request',
    encode: (out) => `${out.title}/${out.size}/${out.by}`,
  });

  it('when the handler answers at once, then the encoded answer is returned in the same tick', () => {
    expect(method({ title: 'desk', size: 2 }, { id: 9 })).toBe('desk/2/9');
    expect(calls).toEqual([{ actor: { id: 9 }, input: { title: 'desk', size: 2 } }]);
  });

  it('when the handler answers with a promise, then the encoded answer comes with it', async () => {
    await expect(method({ title: 'later' }, { id: 3 })).resolves.toBe('later/1/3');
  });

  it('when the input is bad, then the handler never runs', () => {
    expect(validationFields(() => method({ title: '' }, { id: 1 })).map((f) => f.field)).toEqual(['request.title']);
    expect(calls).toEqual([]);
  });
});

describe('operationRoute (the HTTP binding)', () => {
  const ctx = newContext('http');

  it('when bound to a body, then the route carries the declaration and hands the handler its actor and body', async () => {
    const route = operationRoute(renameItem, {
      method: 'post',
      path: '/api/items',
      input: 'body',
      actor: () => ({ id: 4 }),
      status: 201,
    });
    expect(route).toMatchObject({
      method: 'post',
      path: '/api/items',
      summary: 'Rename an item.',
      permission: 'item.write',
      status: 201,
      errors: ['ITEM_NOT_FOUND'],
      body: renameItem.input,
      params: undefined,
      response: renameItem.output,
    });
    await expect(
      Promise.resolve(route.handler({ params: {}, query: {}, body: { title: 'chair', size: 5 }, ctx })),
    ).resolves.toEqual({ title: 'chair', size: 5, by: 4 });
  });

  it('when bound to the path, then its text schema checks the params and they are the handler’s input', async () => {
    const params = z.object({ title: z.string(), size: z.string().transform(Number) });
    const route = operationRoute(renameItem, {
      method: 'get',
      path: '/api/items/:title/:size',
      input: { params },
      actor: () => ({ id: 8 }),
    });
    expect({ params: route.params, body: route.body, status: route.status }).toEqual({
      params,
      body: undefined,
      status: 200,
    });
    await expect(
      Promise.resolve(route.handler({ params: { title: 'rug', size: 2 }, query: {}, body: undefined, ctx })),
    ).resolves.toEqual({ title: 'rug', size: 2, by: 8 });
  });
});
