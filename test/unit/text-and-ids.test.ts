import { decimalU64, decimalUpTo, U64_MAX } from '../../src/core/validation';
import { illFormedFields, isUtf8, markInvalidUtf8 } from '../../src/core/text';

/**
 * The two hand-written pieces behind the strict input: the marker of bytes
 * that are not UTF-8 (it must cut where the standard decoder writes U+FFFD,
 * no more and no fewer) and the pattern of decimals up to 2^64 - 1 that the
 * OpenAPI document carries for order ids (it must agree with BigInt).
 */

describe('decimalUpTo', () => {
  const pattern = new RegExp(decimalUpTo(U64_MAX));

  /** Every number of max's length that differs from it in one digit, and the neighbours of each power of ten. */
  function probes(): bigint[] {
    const max = U64_MAX.toString();
    const out: bigint[] = [0n, 1n, U64_MAX - 1n, U64_MAX, U64_MAX + 1n, 10n ** 20n];
    for (let i = 0; i < max.length; i += 1) {
      for (let d = 0; d <= 9; d += 1) {
        const s = `${max.slice(0, i)}${d}${max.slice(i + 1)}`;
        if (s[0] !== '0') out.push(BigInt(s));
      }
    }
    for (let e = 0; e <= 20; e += 1) out.push(10n ** BigInt(e) - 1n, 10n ** BigInt(e), 10n ** BigInt(e) + 1n);
    return out;
  }

  it.each([7n, 10n, 99n, 100n, 255n, 1000n, 65535n])(
    'when the maximum is %s, then the pattern takes 1 to it and nothing else',
    (max) => {
      const re = new RegExp(decimalUpTo(max));
      const wrong: bigint[] = [];
      for (let v = 0n; v <= max * 2n + 10n; v += 1n) if (re.test(String(v)) !== (v >= 1n && v <= max)) wrong.push(v);

      expect(wrong).toEqual([]);
    },
  );

  it('when the maximum is 2^64 - 1, then the pattern and the order-id check agree with BigInt on every probe', () => {
    const wrong = probes().filter((v) => {
      const want = v >= 1n && v <= U64_MAX;
      return pattern.test(v.toString()) !== want || decimalU64.safeParse(v.toString()).success !== want;
    });

    expect(wrong).toEqual([]);
  });

  it('when a number has a leading zero, then the pattern refuses it', () => {
    expect(['01', '007', '0'].map((s) => pattern.test(s))).toEqual([false, false, false]);
  });

  it('when leading zeros are allowed, then zeros before any value up to 2^64 - 1 pass, and 0 itself, but nothing above', () => {
    const zeros = new RegExp(decimalUpTo(U64_MAX, { leadingZeros: true }));
    const wrong = probes().filter((v) => {
      const want = v <= U64_MAX;
      return zeros.test(v.toString()) !== want || zeros.test(`00${v.toString()}`) !== want;
    });

    expect(wrong).toEqual([]);
    expect(['0', '000', '007'].map((s) => zeros.test(s))).toEqual([true, true, true]);
  });
});

describe('markInvalidUtf8', () => {
  const marks = (bytes: number[]): number => (markInvalidUtf8(Buffer.from(bytes)).match(/\\ud800/g) ?? []).length;
  const replacements = (bytes: number[]): number =>
    (
      Buffer.from(bytes)
        .toString('utf8')
        .match(/\ufffd/g) ?? []
    ).length;

  it.each([
    [[0xff]],
    [[0xc0, 0xaf]],
    [[0xe0, 0x80, 0x80]],
    [[0xed, 0xa0, 0x80]],
    [[0xf4, 0x90, 0x80, 0x80]],
    [[0xe2, 0x82]],
    [[0xe2, 0x82, 0x41]],
    [[0xf0, 0x9f, 0x98]],
    [[0x80, 0x80, 0x41, 0xc2]],
    [[0xf8, 0x88, 0x80, 0x80, 0x80]],
  ])('when the bytes are %j, then one mark stands where the standard decoder writes each U+FFFD', (bytes) => {
    expect(isUtf8(Buffer.from(bytes))).toBe(false);
    expect(marks(bytes)).toBe(replacements(bytes));
  });

  it('when valid sequences surround the bad bytes, then they are kept as they were', () => {
    const bytes = Buffer.concat([
      Buffer.from('a\u00e9\u20ac\u{1F600}', 'utf8'),
      Buffer.from([0xff]),
      Buffer.from('z', 'utf8'),
    ]);

    expect(markInvalidUtf8(bytes)).toBe('a\u00e9\u20ac\u{1F600}\\ud800z');
  });
});

describe('illFormedFields', () => {
  it('when strings and keys hold lone surrogates at any depth, then each is named by its path, and pairs pass', () => {
    const value = { ok: '\u{1F600} \ufffd', bad: 'x\ud800', list: ['fine', { deep: '\udc00' }], ['k\ud800']: 1 };

    expect(illFormedFields(value, 'body').map((f) => f.field)).toEqual([
      'body.bad',
      'body.list.1.deep',
      'body.k\ufffd',
    ]);
  });
});
