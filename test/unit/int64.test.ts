import Int64 from 'node-int64';
import { decimalToI64, i64ToDecimal, i64ToNumber, i64ToSafeNumber, numberToI64 } from '../../src/core/rpc';
import { UserError } from '../../src/exception';

describe('the one i64 codec', () => {
  it('when an id uses all 64 bits, then it travels as i64 bits and reads back unsigned as itself', () => {
    expect(i64ToDecimal(decimalToI64('18446744073709551615'))).toBe('18446744073709551615');
    expect(i64ToDecimal(decimalToI64('9223372036854775808'))).toBe('9223372036854775808');
  });

  it('when a peer has signed ids, then the same bits read signed', () => {
    expect(i64ToDecimal(decimalToI64('18446744073709551615'), true)).toBe('-1');
    expect(i64ToDecimal(decimalToI64('9223372036854775807'), true)).toBe('9223372036854775807');
  });

  it.each(['', 'abc', '1.5', '18446744073709551616', '-9223372036854775809'])(
    'when %j is not a 64-bit integer, then it is refused with a RangeError',
    (text) => {
      expect(() => decimalToI64(text)).toThrow(RangeError);
    },
  );

  it('when a value is within 2^53, then it is a number; beyond, undefined or a UserError 1005 for a call argument', () => {
    expect(i64ToSafeNumber(numberToI64(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
    expect(i64ToSafeNumber(numberToI64(-42))).toBe(-42);
    const big = decimalToI64('9007199254740993');
    expect(i64ToSafeNumber(big)).toBeUndefined();
    expect(() => i64ToNumber(big, 'id')).toThrow(UserError);
    expect(() => i64ToNumber(new Int64(7), 'id')).not.toThrow();
  });

  it('when a number is not a safe integer, then it cannot be sent as an i64', () => {
    expect(() => numberToI64(2 ** 53)).toThrow(RangeError);
    expect(() => numberToI64(1.5)).toThrow(RangeError);
  });
});
