import Int64 from 'node-int64';

const MIN = -(2n ** 63n);
const MAX = 2n ** 63n - 1n;
const DECIMAL = /^-?\d{1,20}$/;

/**
 * A Thrift i64 as an exact decimal string. node-int64 keeps the 8 bytes, and
 * its `toNumber()` would round anything beyond 2^53; BigInt does not.
 */
export function int64ToDecimal(value: Int64): string {
  return value.buffer.readBigInt64BE(value.offset).toString();
}

/** A Thrift i64 as a number, or undefined when it is beyond the safe integer range. */
export function int64ToSafeNumber(value: Int64): number | undefined {
  const big = value.buffer.readBigInt64BE(value.offset);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : undefined;
}

/** A decimal string as a Thrift i64, or undefined when it is not an integer within the i64 range. */
export function decimalToInt64(text: string): Int64 | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const big = BigInt(text);
  if (big < MIN || big > MAX) return undefined;
  const buffer = Buffer.alloc(8);
  buffer.writeBigInt64BE(big);
  return new Int64(buffer);
}

/** A safe integer (milliseconds, cents) as a Thrift i64. */
export function numberToInt64(value: number): Int64 {
  if (!Number.isSafeInteger(value))
    throw new RangeError(`${value} is not a safe integer and cannot be sent as an i64.`);
  const buffer = Buffer.alloc(8);
  buffer.writeBigInt64BE(BigInt(value));
  return new Int64(buffer);
}
