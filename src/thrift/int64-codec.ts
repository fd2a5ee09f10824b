import Int64 from 'node-int64';
import { UserError } from '../exception';

/** An i64 as an exact unsigned decimal string (for ids that may pass 2^53, such as order ids). */
export function i64ToDecimal(value: Int64, field: string): string {
  const n = value.buffer.readBigInt64BE(value.offset);
  if (n < 0n) throw new UserError('INTEGER_OUT_OF_RANGE', { params: { field } });
  return n.toString();
}

/** A decimal string of up to 64 bits as an exact i64 (values past 2^63 keep their bits). */
export function decimalToI64(value: string): Int64 {
  return new Int64(BigInt.asUintN(64, BigInt(value)).toString(16).padStart(16, '0'));
}
