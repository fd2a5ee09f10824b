import Int64 from 'node-int64';

/**
 * An i64 as an exact unsigned decimal string (for ids that may pass 2^53,
 * such as order ids). Its 64 bits are read unsigned, the inverse of
 * `decimalToI64`: an id past 2^63 travels as a negative i64 and comes back
 * as itself. `_field` is kept for callers that name the field.
 */
export function i64ToDecimal(value: Int64, _field?: string): string {
  return value.buffer.readBigUInt64BE(value.offset).toString();
}

/** A decimal string of up to 64 bits as an exact i64 (values past 2^63 keep their bits). */
export function decimalToI64(value: string): Int64 {
  return new Int64(BigInt.asUintN(64, BigInt(value)).toString(16).padStart(16, '0'));
}
