import { createHash } from 'node:crypto';
import { UserError } from '../../exception';
import type { CsEvent, NewCsEvent } from './cs-types';

/**
 * A create's request key (idempotency key): what a request is hashed to, and
 * whether a key seen before is the same request again or a conflicting reuse.
 */

/**
 * The SHA-256 (hex) of what a create asks for, its request key aside: the
 * validated input (defaults filled, text trimmed), in a fixed order, so the
 * same request over HTTP or Thrift, with a default sent or left out, hashes
 * the same, and any other value of any field hashes otherwise.
 */
export function requestHashOf(input: NewCsEvent): string {
  const fields = [
    input.user_id,
    input.user_type,
    input.phone,
    input.order_id,
    input.source,
    input.category_id,
    input.priority,
    input.compensation,
    input.content,
    input.handler_id ?? null,
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

/**
 * A request key seen before: the same request gets the first event back (a
 * retry), another request with that key is a 409 (code 1107), as a payment
 * API refuses an idempotency key reused with other parameters. An event from
 * before hashes were kept (null) is taken as the same request.
 */
export function sameRequestOrConflict(
  existing: { event: CsEvent; requestHash: string | null },
  input: NewCsEvent,
  key: string,
): CsEvent {
  if (existing.requestHash === null || existing.requestHash === requestHashOf(input)) return existing.event;
  throw new UserError('CS_REQUEST_KEY_CONFLICT', { params: { key } });
}
