import { z } from 'zod';
import { decimalUpTo, U64_MAX } from '../../core/validation';
import { CS_MAX_PRIORITY, CS_SOURCES, CS_STATUSES, CS_USER_TYPES, type CsStatus } from './cs-types';

/**
 * The customer-service domain's shapes, each declared once: the service's
 * input and output types come from them, HTTP validates bodies and the
 * OpenAPI document describes them with them, and the Thrift adapter checks
 * decoded requests with them.
 */

const money = z.number().min(0).max(1e9).multipleOf(0.01);

export const csEventSchema = z
  .object({
    id: z.number().int(),
    user_id: z.number().int().nullable(),
    user_type: z.enum(CS_USER_TYPES),
    phone: z.string(),
    order_id: z.string().nullable().describe('A 64-bit id as a decimal string.'),
    source: z.enum(CS_SOURCES),
    category_id: z.number().int().nullable(),
    priority: z.number().int().min(0).max(CS_MAX_PRIORITY),
    status: z.enum(CS_STATUSES),
    creator_id: z.number().int(),
    handler_id: z.number().int(),
    compensation: z.number(),
    content: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'CsEvent' });

export const createEventBody = z.strictObject({
  user_id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).nullable().default(null),
  user_type: z.enum(CS_USER_TYPES),
  phone: z
    .string()
    .trim()
    .max(32)
    .regex(/^[0-9+\-() ]*$/, 'expected a phone number')
    .default(''),
  order_id: z
    .union([
      z
        .string()
        .regex(/^\d{1,20}$/)
        .meta({ pattern: decimalUpTo(U64_MAX, { leadingZeros: true }), maxLength: 20 }),
      z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    ])
    .transform(String)
    .refine((s) => BigInt(s) <= 18446744073709551615n, 'beyond 64 bits')
    .nullable()
    .default(null)
    .describe('A 64-bit id; send it as a string to keep ids beyond 2^53 exact.'),
  source: z.enum(CS_SOURCES),
  category_id: z.number().int().positive().nullable().default(null),
  priority: z.number().int().min(0).max(CS_MAX_PRIORITY).default(0),
  compensation: money.default(0),
  content: z.string().trim().min(1).max(10000),
  handler_id: z.number().int().positive().optional().describe('Defaults to the creator.'),
  request_key: z.string().min(1).max(64).optional().describe('Idempotency key: a repeat returns the first event.'),
});

/** One event by id, as a sibling's i64 decodes (the path's text is checked by the HTTP door's own rule first). */
export const eventIdInput = z.strictObject({
  id: z.number().int().min(1, 'expected a positive id').max(Number.MAX_SAFE_INTEGER),
});

export const patchEventBody = z.strictObject({
  priority: z.number().int().min(0).max(CS_MAX_PRIORITY).optional(),
  category_id: z.number().int().positive().nullable().optional(),
  compensation: money.optional(),
  content: z.string().trim().min(1).max(10000).optional(),
});

// The forward rule is the service's (cs-state); checking it here too names the
// field in the 400, as every other validation error does.
export const transitionBody = z
  .strictObject({
    to: z.enum(CS_STATUSES),
    handler_id: z.number().int().positive().optional().describe('Required when `to` is forward.'),
    note: z.string().max(10000).optional(),
  })
  .refine((b) => b.to !== 'forward' || b.handler_id !== undefined, {
    path: ['handler_id'],
    message: 'required when forwarding',
  });

export const recordSchema = z
  .object({
    id: z.number().int(),
    event_id: z.number().int(),
    actor_id: z.number().int(),
    via: z.string().describe('The sibling service the change came through (Thrift); empty for the back office.'),
    action: z.string(),
    from_status: z.enum(CS_STATUSES).nullable(),
    to_status: z.enum(CS_STATUSES),
    handler_id: z.number().int(),
    content: z.string(),
    created_at: z.string(),
  })
  .meta({ id: 'CsEventRecord' });

/** One page of an event's timeline, oldest first. */
export const timelinePageSchema = z.object({
  items: z.array(recordSchema),
  page_size: z.number(),
  next_cursor: z.string().nullable().describe('Pass as cursor= for the next page; null on the last page.'),
});

export const categoryUpsertBody = z.strictObject({
  nodes: z
    .array(
      z.strictObject({
        id: z.number().int().positive().optional().describe('Present: update this node. Absent: insert one.'),
        parent_id: z.number().int().nonnegative().optional().describe('0 or absent for a top-level node.'),
        name: z.string().trim().min(1).max(64),
        is_valid: z.boolean().optional(),
      }),
    )
    .min(1)
    .max(500),
});

export interface CategoryNodeOut {
  id: number;
  parent_id: number;
  level: number;
  name: string;
  is_valid: boolean;
  children: CategoryNodeOut[];
}

// The id is on the lazy schema, the one that refers to itself: the OpenAPI document names it once.
export const categoryNodeSchema: z.ZodType<CategoryNodeOut> = z
  .lazy(() =>
    z.object({
      id: z.number().int(),
      parent_id: z.number().int(),
      level: z.number().int(),
      name: z.string(),
      is_valid: z.boolean(),
      children: z.array(categoryNodeSchema),
    }),
  )
  .meta({ id: 'CsCategoryNode' });

// An object with one field per status rather than a record keyed by the enum: OpenAPI 3.0 cannot say
// which keys a record has, so clients would see a map of any string.
export const statsSchema = z.object(
  Object.fromEntries(CS_STATUSES.map((status) => [status, z.number().int()])) as Record<CsStatus, z.ZodNumber>,
);
