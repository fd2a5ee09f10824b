import Int64 from 'node-int64';
import { UserError } from '../../exception';

/**
 * i64 arrives from the thrift library as node-int64. We use `number` inside,
 * so values beyond 2^53 (which a number cannot hold exactly) are refused.
 */
export function i64ToNumber(value: Int64 | number | null | undefined, field: string): number {
  if (value === null || value === undefined) {
    throw new UserError('VALIDATION_FAILED', {
      params: { fields: `${field} (required)` },
      fields: [{ field, message: 'required' }],
    });
  }
  const n = typeof value === 'number' ? value : value.toNumber(false);
  if (!Number.isSafeInteger(n)) throw new UserError('INTEGER_OUT_OF_RANGE', { params: { field } });
  return n;
}

export function numberToI64(value: number): Int64 {
  return new Int64(value);
}
