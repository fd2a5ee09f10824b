import { z } from 'zod';
import { defineRoute, operationRoute, type Route } from '../../core/api/route';
import { flaggedSchema, orderIdInput, reviewBody } from '../../service/risk/risk-schemas';
import { registerHttpStatus } from '../../core/response/http-status';
import type { RiskDomain } from '../../service/risk';
import { RULE_NAMES } from '../../service/risk/risk-rules';
import { RISK_STATUSES } from '../../service/risk/risk-types';
import { MAX_PAGE_SIZE } from '../../service/cs/cs-types';
import { actorOf } from '../actor';
import { cursorParam, decimalInt, MAX_PAGE, pageSchema } from '../../core/validation';

registerHttpStatus({ RISK_ORDER_NOT_FOUND: 404, RISK_ALREADY_REVIEWED: 409 });

const tags = ['risk'];

/** Reviewers' routes over suspicious orders (permission risk.review). */
export function riskRoutes(risk: RiskDomain): Route[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/risk/orders',
      summary: 'Flagged orders, newest first, filtered by status and rule, by cursor or page.',
      tags,
      permission: 'risk.review',
      query: z.strictObject({
        status: z.enum(RISK_STATUSES).optional(),
        rule: z.enum(RULE_NAMES as [string, ...string[]]).optional(),
        page: decimalInt(1, MAX_PAGE)
          .optional()
          .describe(
            '1 when absent. At most 10000 rows deep (page_size × (page − 1)); deeper pages follow next_cursor.',
          ),
        cursor: cursorParam.optional(),
        page_size: decimalInt(1, MAX_PAGE_SIZE).default(20),
      }),
      response: pageSchema(flaggedSchema),
      errors: ['VALIDATION_FAILED'],
      handler: ({ query }) => {
        const { page, page_size, cursor, ...filter } = query;
        return risk.review.list(filter, { page, cursor, pageSize: page_size });
      },
    }),
    operationRoute(risk.operations.getOrder, {
      method: 'get',
      path: '/api/risk/orders/:order_id',
      input: { params: orderIdInput },
      actor: actorOf,
      tags,
    }),
    defineRoute({
      method: 'post',
      path: '/api/risk/orders/:order_id/review',
      summary: 'Judge a flagged order; fraud opens a customer-service event and reports to zeus.',
      tags,
      permission: 'risk.review',
      params: orderIdInput,
      body: reviewBody,
      response: flaggedSchema,
      // A fraud verdict opens a cs event keyed by the order: a key already taken by another event is its conflict.
      errors: ['RISK_ORDER_NOT_FOUND', 'RISK_ALREADY_REVIEWED', 'CS_REQUEST_KEY_CONFLICT'],
      example: { verdict: 'fraud', note: 'Ten orders to one address from new accounts within an hour.' },
      handler: ({ params, body, ctx }) => risk.review.review(actorOf(ctx), params.order_id, body.verdict, body.note),
    }),
  ];
}
