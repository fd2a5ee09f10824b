import { z } from 'zod';

const DECIMAL = /^[1-9][0-9]*$/;
// abort: a value that is not digits gets this one message, and the range checks never see it (BigInt('1e3') throws).
const DECIMAL_MESSAGE = 'expected a positive decimal integer: digits only, no sign, exponent, spaces or leading zero';
const U64_MAX = 18446744073709551615n;

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

/** A 64-bit unsigned id (an order id) in a path or query string, kept as its decimal string. */
export const decimalU64 = z
  .string()
  .regex(DECIMAL, { error: DECIMAL_MESSAGE, abort: true })
  .refine((s) => s.length <= 20 && BigInt(s) <= U64_MAX, 'beyond 64 bits (2^64 - 1)');

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
