import { z } from 'zod';

const DECIMAL = /^[1-9][0-9]*$/;
// abort: a value that is not digits gets this one message, and the range checks never see it (BigInt('1e3') throws).
const DECIMAL_MESSAGE = 'expected a positive decimal integer: digits only, no sign, exponent, spaces or leading zero';
export const U64_MAX = 18446744073709551615n;

/**
 * How the OpenAPI document shows a digits-only parameter: as the integer it
 * is read as, with its range (an OpenAPI integer in a URL is digits already),
 * rather than as a string with a pattern; metadata replaces zod's own schema.
 */
function asInteger(minimum: number, maximum: number) {
  return { type: 'integer', minimum, maximum, pattern: undefined };
}

/**
 * An id in a path or query string: decimal digits only (`1e3`, `0x10`, ` 1`
 * and `007` are refused, not read as 1000, 16 or 1), within the ids tandem
 * keeps as JavaScript numbers (up to 2^53 - 1).
 */
export const decimalId = z
  .string()
  .regex(DECIMAL, { error: DECIMAL_MESSAGE, abort: true })
  .refine((s) => s.length <= 16 && Number(s) <= Number.MAX_SAFE_INTEGER, 'beyond the largest id (2^53 - 1)')
  .transform(Number)
  .meta(asInteger(1, Number.MAX_SAFE_INTEGER));

/**
 * A regular expression for the decimals from 1 to `max` without leading
 * zeros: any shorter number, or one of max's length that is not above it
 * (for each digit of max, the same digits before it and a smaller one
 * there, anything after). Lets the OpenAPI document say the range of a
 * 64-bit id, which a JSON Schema integer cannot carry exactly.
 */
export function decimalUpTo(max: bigint, options: { leadingZeros?: boolean } = {}): string {
  const digits = max.toString();
  const n = digits.length;
  const shorter = n > 1 ? [`[1-9][0-9]{0,${n - 2}}`] : [];
  const same: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const d = Number(digits[i]);
    const low = i === 0 ? 1 : 0;
    if (d > low) {
      const rest = n - i - 1;
      const range = d - 1 === low ? String(low) : `[${low}-${d - 1}]`;
      same.push(`${digits.slice(0, i)}${range}${rest > 0 ? `[0-9]{${rest}}` : ''}`);
    }
  }
  same.push(digits);
  const alternatives = [...shorter, ...same].join('|');
  // With leading zeros, 0 itself (in any number of zeros) is a value too; a maxLength bounds the length.
  return options.leadingZeros ? `^(?:0+|0*(?:${alternatives}))$` : `^(?:${alternatives})$`;
}

/** A 64-bit unsigned id (an order id) in a path or query string, kept as its decimal string. */
export const decimalU64 = z
  .string()
  .regex(DECIMAL, { error: DECIMAL_MESSAGE, abort: true })
  .refine((s) => s.length <= 20 && BigInt(s) <= U64_MAX, 'beyond 64 bits (2^64 - 1)')
  .meta({
    pattern: decimalUpTo(U64_MAX),
    maxLength: 20,
    description: 'A 64-bit id in decimal, 1 to 18446744073709551615, without leading zeros.',
  });

/** A whole number from `min` to `max` in a query string (a page, a priority), digits only. */
export function decimalInt(min: number, max: number) {
  return z
    .string()
    .regex(/^(0|[1-9][0-9]{0,8})$/, { error: 'expected a decimal integer: digits only', abort: true })
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .meta(asInteger(min, max));
}

/** The last page a list may ask for: past it an offset would scan a whole table for nothing. */
export const MAX_PAGE = 1_000_000;

/**
 * `cursor`: the `next_cursor` of the previous page, unchanged. A cursor
 * comes from one list with its filters; with other filters it is a 400.
 */
export const cursorParam = z
  .string()
  .min(1)
  .max(512)
  .describe("The previous page's next_cursor, unchanged, with the same filters. Replaces page.");

/**
 * The answer of a paged list: `total` counts the whole filtered list, exact
 * when `total_is_exact`, else a lower bound (there may be more); `next_cursor` is null
 * on the last page; `page` is null on a page reached by cursor.
 */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    total: z
      .number()
      .describe('Rows matching the filters: exact when total_is_exact, else a lower bound (at most 1000).'),
    total_is_exact: z
      .boolean()
      .describe(
        'False when counting stopped early (at 10000 matches, or 20000 rows read): there may be more rows than total says.',
      ),
    page: z.number().nullable().describe('The page number asked for; null on a page reached by cursor.'),
    page_size: z.number(),
    next_cursor: z.string().nullable().describe('Pass as cursor= for the next page; null on the last page.'),
  });
}
