import { z } from 'zod';
import { cursorParam, decimalId, decimalInt, MAX_PAGE } from '../../core/validation';
import {
  CS_MAX_PRIORITY,
  CS_SOURCES,
  CS_STATUSES,
  CS_USER_TYPES,
  type CsStatus,
  MAX_PAGE_SIZE,
} from '../../service/cs/cs-types';

/** What the cs routes read from a path or a query string, where every value arrives as text. */

const id = decimalId;
/**
 * A calendar day that exists, as YYYY-MM-DD (2024-02-29 yes, 2023-02-29 and 0000-00-00 no): zod's ISO
 * date, whose pattern checks months, days and leap years, so the OpenAPI document carries the same
 * rule (with `format: date`).
 */
const date = z.iso.date({ error: 'expected a date that exists, as YYYY-MM-DD' });

export const idParams = z.object({ id });

// One status or several, comma-separated (spaces around each allowed): a pattern, so that the
// OpenAPI document says exactly what is accepted.
const ONE_STATUS = ` *(?:${CS_STATUSES.join('|')}) *`;
const statusList = z
  .string()
  .regex(
    new RegExp(`^${ONE_STATUS}(?:,${ONE_STATUS})*$`),
    `expected one or more of ${CS_STATUSES.join(', ')}, comma-separated`,
  )
  .transform((s) => s.split(',').map((x) => x.trim() as CsStatus));

export const listQuery = z.strictObject({
  status: statusList.optional().describe('One status or several, comma-separated.'),
  category_id: id.optional().describe('Matches the category and everything below it.'),
  user_type: z.enum(CS_USER_TYPES).optional(),
  priority: decimalInt(0, CS_MAX_PRIORITY).optional(),
  source: z.enum(CS_SOURCES).optional(),
  phone: z.string().max(32).optional(),
  handler: z
    .union([z.literal('mine'), id])
    .optional()
    .describe('A staff id, or "mine" for the caller.'),
  has_compensation: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  created_from: date.optional().describe('First day, inclusive (UTC).'),
  created_to: date.optional().describe('Last day, inclusive: the whole day counts (UTC).'),
  page: decimalInt(1, MAX_PAGE)
    .optional()
    .describe('1 when absent. At most 10000 rows deep (page_size × (page − 1)); deeper pages follow next_cursor.'),
  cursor: cursorParam.optional(),
  page_size: decimalInt(1, MAX_PAGE_SIZE).default(20),
});

export const timelineQuery = z.strictObject({
  cursor: cursorParam.optional(),
  page_size: decimalInt(1, MAX_PAGE_SIZE).default(100),
});
