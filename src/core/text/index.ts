import { isUtf8 } from 'node:buffer';
import type { FieldError } from '../../exception';

/**
 * Text that is not Unicode: bytes that are not UTF-8 (invalid or overlong
 * sequences, surrogates encoded as UTF-8) and lone surrogates (`\ud800` in
 * JSON). Both doors refuse such text naming its field, rather than store
 * U+FFFD in its place; a U+FFFD that was sent, correctly encoded (EF BF BD,
 * or `\ufffd` in JSON), is text like any other and accepted.
 */

export const NOT_UNICODE = 'not valid UTF-8 text (an invalid or overlong byte sequence, or a lone surrogate)';

/** Matches a surrogate that is not half of a pair: with the u flag, a pair is one code point. */
const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATES = /\p{Cs}/gu;

/** Whether a JavaScript string is well formed (no lone surrogate). */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

export { isUtf8 };

/** The JSON escape that stands for an invalid sequence in markInvalidUtf8's output: a lone surrogate. */
const MARK = Buffer.from('\\ud800');

/**
 * `bytes` with each maximal invalid UTF-8 subpart (as WHATWG's decoder
 * counts them, where it would write one U+FFFD) replaced by the six ASCII
 * characters `\ud800`, decoded. Inside a JSON string that escape is a lone
 * surrogate, so parsing the result finds the fields that held bad bytes:
 * the same fields illFormedFields names for an escaped lone surrogate.
 * Only called for bytes that are not UTF-8, so speed does not matter.
 */
export function markInvalidUtf8(bytes: Buffer): string {
  const parts: Buffer[] = [];
  let start = 0;
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i += 1;
      continue;
    }
    let need = 0;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b === 0xe0) [need, lo] = [2, 0xa0];
    else if ((b >= 0xe1 && b <= 0xec) || b === 0xee || b === 0xef) need = 2;
    else if (b === 0xed) [need, hi] = [2, 0x9f];
    else if (b === 0xf0) [need, lo] = [3, 0x90];
    else if (b >= 0xf1 && b <= 0xf3) need = 3;
    else if (b === 0xf4) [need, hi] = [3, 0x8f];
    let j = i + 1;
    let ok = need > 0;
    for (let k = 0; ok && k < need; k += 1) {
      const c = bytes[j];
      const [min, max] = k === 0 ? [lo, hi] : [0x80, 0xbf];
      if (c === undefined || c < min || c > max) ok = false;
      else j += 1;
    }
    if (!ok) {
      parts.push(bytes.subarray(start, i), MARK);
      start = j;
    }
    i = j;
  }
  parts.push(bytes.subarray(start));
  return Buffer.concat(parts).toString('utf8');
}

/**
 * The fields of a decoded value (JSON, or a Thrift struct's fields) whose
 * text, or whose key, is not well formed, named from `prefix` down
 * (`body.content`, `body.nodes.0.name`). Walks objects and arrays only.
 */
export function illFormedFields(value: unknown, prefix: string, out: FieldError[] = []): FieldError[] {
  if (typeof value === 'string') {
    if (!isWellFormedText(value)) out.push({ field: prefix, message: NOT_UNICODE });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => illFormedFields(item, `${prefix}.${i}`, out));
  } else if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (!isWellFormedText(key))
        out.push({ field: `${prefix}.${key.replace(LONE_SURROGATES, '\ufffd')}`, message: NOT_UNICODE });
      else illFormedFields(child, `${prefix}.${key}`, out);
    }
  }
  return out;
}
