import { z } from 'zod';
import { defineRoute, operationRoute, type Route } from '../../core/api/route';
import { registerHttpStatus } from '../../core/response/http-status';
import type { CsDomain } from '../../service/cs';
import { actorOf } from '../actor';
import { pageSchema } from '../../core/validation';
import {
  categoryNodeSchema,
  categoryUpsertBody,
  csEventSchema,
  patchEventBody,
  recordSchema,
  statsSchema,
  timelinePageSchema,
  transitionBody,
} from '../../service/cs/cs-schemas';
import { idParams, listQuery, timelineQuery } from './cs-query';

registerHttpStatus({
  CS_EVENT_NOT_FOUND: 404,
  CS_EVENT_DONE: 409,
  CS_SAME_STATUS: 409,
  CS_CATEGORY_CONFLICT: 409,
  CS_REQUEST_KEY_CONFLICT: 409,
});

const tags = ['cs'];

/** The customer-service routes: declarations and their thin handlers. */
export function csRoutes(cs: CsDomain): Route[] {
  return [
    operationRoute(cs.operations.createEvent, {
      method: 'post',
      path: '/api/cs/events',
      input: 'body',
      actor: actorOf,
      tags,
      status: 201,
      example: {
        user_type: 'user',
        source: 'phone',
        phone: '+86 138 0013 8000',
        order_id: '1234567890123456789',
        priority: 1,
        compensation: 5,
        content: 'The rider was rude at delivery.',
        request_key: 'callcenter-7f3a2c',
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/cs/events',
      summary:
        'List events, newest update first (newest created first with created_from/created_to), filtered, by cursor or page.',
      tags,
      permission: 'cs_event.read',
      query: listQuery,
      response: pageSchema(csEventSchema),
      errors: ['VALIDATION_FAILED'],
      handler: ({ query, ctx }) => {
        const { page, page_size, cursor, handler, ...filter } = query;
        const handlerId = handler === 'mine' ? actorOf(ctx).id : handler;
        return cs.events.list({ ...filter, handler_id: handlerId }, { page, cursor, pageSize: page_size });
      },
    }),
    operationRoute(cs.operations.getEvent, {
      method: 'get',
      path: '/api/cs/events/:id',
      input: { params: idParams },
      actor: actorOf,
      tags,
    }),
    defineRoute({
      method: 'patch',
      path: '/api/cs/events/:id',
      summary: 'Change priority, category, compensation or content (recorded on the timeline).',
      tags,
      permission: 'cs_event.write',
      params: idParams,
      body: patchEventBody,
      example: { priority: 2, content: 'Called back: the user accepts a 5 yuan voucher.' },
      response: csEventSchema,
      errors: [
        'CS_EVENT_NOT_FOUND',
        'CS_EVENT_DONE',
        'AUTH_NOT_HANDLER',
        'CS_NOTHING_TO_UPDATE',
        'CS_CATEGORY_NOT_FOUND',
      ],
      handler: ({ params, body, ctx }) => cs.events.update(actorOf(ctx), params.id, body),
    }),
    defineRoute({
      method: 'post',
      path: '/api/cs/events/:id/transition',
      summary: 'Move an event to another status; forward hands it to handler_id.',
      tags,
      permission: 'cs_event.write',
      params: idParams,
      body: transitionBody,
      example: { to: 'forward', handler_id: 42, note: 'For the logistics team: the rider is theirs.' },
      response: csEventSchema,
      errors: [
        'CS_EVENT_NOT_FOUND',
        'CS_EVENT_DONE',
        'CS_SAME_STATUS',
        'AUTH_NOT_HANDLER',
        'CS_FORWARD_NEEDS_HANDLER',
        'CS_HANDLER_INVALID',
      ],
      handler: ({ params, body, ctx }) => cs.events.transition(actorOf(ctx), params.id, body),
    }),
    defineRoute({
      method: 'delete',
      path: '/api/cs/events/:id',
      summary: 'Soft-delete an event (admins).',
      tags,
      permission: 'cs_event.admin',
      params: idParams,
      response: z.null(),
      errors: ['CS_EVENT_NOT_FOUND'],
      handler: async ({ params, ctx }) => {
        await cs.events.remove(actorOf(ctx), params.id);
        return null;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/cs/events/:id/records',
      summary: 'The timeline of an event, oldest first.',
      tags,
      permission: 'cs_event.read',
      params: idParams,
      response: z.array(recordSchema),
      errors: ['CS_EVENT_NOT_FOUND'],
      handler: ({ params }) => cs.events.records(params.id),
    }),
    defineRoute({
      method: 'get',
      path: '/api/cs/events/:id/timeline',
      summary: 'The timeline of an event, oldest first, a page at a time (next_cursor).',
      tags,
      permission: 'cs_event.read',
      params: idParams,
      query: timelineQuery,
      response: timelinePageSchema,
      errors: ['CS_EVENT_NOT_FOUND', 'VALIDATION_FAILED'],
      handler: ({ params, query }) =>
        cs.events.timeline(params.id, { cursor: query.cursor, pageSize: query.page_size }),
    }),
    defineRoute({
      method: 'get',
      path: '/api/cs/categories',
      summary: 'The category tree.',
      tags,
      permission: 'cs_event.read',
      response: z.array(categoryNodeSchema),
      handler: () => cs.categories.tree(),
    }),
    defineRoute({
      method: 'put',
      path: '/api/cs/categories',
      summary: 'Insert nodes (no id) or update them (with id); returns the tree.',
      tags,
      permission: 'cs_event.admin',
      body: categoryUpsertBody,
      example: { nodes: [{ name: 'Delivery' }, { id: 3, parent_id: 1, name: 'Late delivery', is_valid: true }] },
      response: z.array(categoryNodeSchema),
      errors: ['CS_CATEGORY_NOT_FOUND', 'CS_CATEGORY_PARENT', 'CS_CATEGORY_CONFLICT'],
      handler: ({ body }) => cs.categories.upsert(body.nodes),
    }),
    defineRoute({
      method: 'get',
      path: '/api/cs/stats',
      summary: 'Live events per status.',
      tags,
      permission: 'cs_event.read',
      response: statsSchema,
      handler: () => cs.events.stats(),
    }),
  ];
}
