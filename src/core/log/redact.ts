/**
 * Secrets kept out of log lines: a key whose name says secret (password,
 * token, cookie...) is written as `[redacted]` at any depth, within a budget
 * of values per line.
 */

/** Keys whose values are never written, whatever object they are in. */
const SECRET_KEYS = /^(password|passwd|pwd|secret|token|authorization|cookie|password_hash|hash|api_key)$/i;

/** Whether a key is secret, remembered per key name (log keys are few and repeat on every line). */
const secretKeys = new Map<string, boolean>();

export function isSecret(key: string): boolean {
  let secret = secretKeys.get(key);
  if (secret === undefined) {
    secret = SECRET_KEYS.test(key);
    if (secretKeys.size < 10_000) secretKeys.set(key, secret);
  }
  return secret;
}

/** Values (keys and items, at every depth) looked at for secrets in one line's fields; beyond, a value is cut. */
export const REDACT_MAX_VALUES = 10_000;
/** What a value stands in for once a line's budget is spent: never a secret unlooked-at. */
export const REDACT_CUT = `[not logged: the line holds more than ${REDACT_MAX_VALUES} values]`;

export interface RedactWalk {
  seen: Set<object>;
  /** Values still to be looked at in this line. */
  budget: number;
}

/**
 * A logged object or array with every secret key redacted, at any depth,
 * the caller's object left as it was. Copied only where something changes
 * (most lines have no secret below their top level, and pay no copy); the
 * walk is bounded per line by REDACT_MAX_VALUES, past which values are cut
 * rather than written unchecked. Only plain objects and arrays are walked:
 * an Error is formatted by its own rule, and a Date or a Buffer has no keys
 * of ours. A cycle is cut where it closes.
 */
export function redactSecrets(
  value: unknown,
  walk: RedactWalk = { seen: new Set(), budget: REDACT_MAX_VALUES },
): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (walk.seen.has(value)) return '[circular]';
  if (Array.isArray(value)) {
    walk.seen.add(value);
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i += 1) {
      const item: unknown = value[i];
      const redacted = walk.budget-- > 0 ? redactSecrets(item, walk) : REDACT_CUT;
      if (redacted !== item) {
        copy ??= value.slice();
        copy[i] = redacted;
      }
      // Past the budget the rest of the array is one cut, not one per item.
      if (redacted === REDACT_CUT) {
        copy = (copy ?? value).slice(0, i + 1);
        break;
      }
    }
    walk.seen.delete(value);
    return copy ?? value;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  walk.seen.add(value);
  const source = value as Record<string, unknown>;
  const keys = Object.keys(source);
  let copy: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i] as string;
    if (walk.budget-- <= 0) {
      // Past the budget the rest of the object is one cut, not one per key.
      const kept = copy ?? source;
      copy = {};
      for (const k of keys.slice(0, i)) copy[k] = kept[k];
      copy['[cut]'] = REDACT_CUT;
      break;
    }
    const item = source[key];
    const redacted = isSecret(key) ? '[redacted]' : redactSecrets(item, walk);
    if (redacted !== item) {
      copy ??= { ...source };
      copy[key] = redacted;
    }
  }
  walk.seen.delete(value);
  return copy ?? value;
}
