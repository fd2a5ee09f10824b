import Int64 from 'node-int64';
import { UserError } from '../../exception';

/**
 * i64 arrives from the thrift library as node-int64 (its 8 bytes). Inside we
 * use `number` for counts, times and our own ids, refusing what a number
 * cannot hold exactly (beyond 2^53), and exact decimal strings for ids that
 * may use all 64 bits (order ids). The one codec for both sides: our server
 * and our clients of sibling services.
 */

const I64_MIN = -(2n ** 63n);
const U64_MAX = 2n ** 64n - 1n;
const DECIMAL = /^-?\d{1,20}$/;

/** The value as a number, or undefined when it is beyond the safe integer range. */
export function i64ToSafeNumber(value: Int64): number | undefined {
  const big = value.buffer.readBigInt64BE(value.offset);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : undefined;
}

/** An i64 argument of a call as a number; a UserError when it is missing or beyond 2^53. */
export function i64ToNumber(value: Int64 | number | null | undefined, field: string): number {
  if (value === null || value === undefined) {
    throw new UserError('VALIDATION_FAILED', {
      params: { fields: `${field} (required)` },
      fields: [{ field, message: 'required' }],
    });
  }
  const n = typeof value === 'number' ? value : i64ToSafeNumber(value);
  if (n === undefined || !Number.isSafeInteger(n)) throw new UserError('INTEGER_OUT_OF_RANGE', { params: { field } });
  return n;
}

/** A safe integer as an i64. */
export function numberToI64(value: number): Int64 {
  if (!Number.isSafeInteger(value))
    throw new RangeError(`${value} is not a safe integer and cannot be sent as an i64.`);
  const buffer = Buffer.alloc(8);
  buffer.writeBigInt64BE(BigInt(value));
  return new Int64(buffer);
}

/**
 * The 64 bits as an exact decimal: unsigned by default (our ids are BIGINT
 * UNSIGNED and use all 64 bits; an id past 2^63 travels as a negative i64
 * and reads back as itself), or signed for a peer whose ids are signed.
 */
export function i64ToDecimal(value: Int64, signed = false): string {
  return signed
    ? value.buffer.readBigInt64BE(value.offset).toString()
    : value.buffer.readBigUInt64BE(value.offset).toString();
}

/** A decimal in -2^63 .. 2^64-1 as i64 bits (past 2^63-1 the bits wrap: the inverse of the unsigned reading). */
export function decimalToI64(text: string): Int64 {
  const big = DECIMAL.test(text) ? BigInt(text) : undefined;
  if (big === undefined || big < I64_MIN || big > U64_MAX) throw new RangeError(`${text} is not a 64-bit integer.`);
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64BE(BigInt.asUintN(64, big));
  return new Int64(buffer);
}
