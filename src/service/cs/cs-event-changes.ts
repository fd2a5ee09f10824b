import type { Actor, CsEvent, CsEventPatch, CsTransition, NewCsEvent } from './cs-types';
import { keyScopeOf } from './cs-types';
import { applyTransition, assertChangeable } from './cs-state';
import { requestHashOf } from './cs-request-key';
import type { EventColumns, NewRecord } from './inner/cs-event-inner';

/**
 * What each write of an event puts in its row and on its timeline, decided
 * from the request and the event as it is (read under its row lock): no I/O
 * here, the service runs these inside its transactions.
 */

/** What one change sets on the event's row, and the record it leaves on the timeline. */
export interface EventChange {
  columns: EventColumns;
  record: Omit<NewRecord, 'event_id' | 'actor_id'>;
}

/** The columns a change sets: those given a value (a patch leaves the others as they are). */
export function definedOf(columns: EventColumns): EventColumns {
  const defined: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(columns)) if (value !== undefined) defined[name] = value;
  return defined;
}

/** The timeline's words for an update: each field set, the content quoted. */
function describePatch(patch: CsEventPatch): string {
  return Object.entries(patch)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${k === 'content' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

/** The row of a new event: pending, handled by `handler`, its request key scoped to the actor. */
export function newEventRow(actor: Actor, input: NewCsEvent, handler: number) {
  return {
    ...input,
    status: 'pending' as const,
    creator_id: actor.id,
    handler_id: handler,
    request_scope: keyScopeOf(actor),
    request_hash: input.request_key ? requestHashOf(input) : null,
  };
}

/** The first record of a new event. */
export function creationRecord(actor: Actor, input: NewCsEvent, handler: number, eventId: number): NewRecord {
  return {
    event_id: eventId,
    actor_id: actor.id,
    via: actor.via ?? '',
    action: 'create',
    from_status: null,
    to_status: 'pending',
    handler_id: handler,
    content: input.content,
  };
}

/** A move to another status (see cs-state for the rules), the note as the record's content. */
export function transitionChange(event: CsEvent, change: CsTransition): EventChange {
  const next = applyTransition(event, change);
  return {
    columns: next,
    record: {
      action: 'transition',
      from_status: event.status,
      to_status: next.status,
      handler_id: next.handler_id,
      content: change.note ?? '',
    },
  };
}

/** A change of priority, category, compensation or content; refused on an event that is done. */
export function updateChange(event: CsEvent, patch: CsEventPatch): EventChange {
  assertChangeable(event);
  return {
    columns: patch,
    record: {
      action: 'update',
      from_status: event.status,
      to_status: event.status,
      handler_id: event.handler_id,
      content: describePatch(patch),
    },
  };
}

/** The record of a soft delete. */
export function deletionRecord(actor: Actor, event: CsEvent): NewRecord {
  return {
    event_id: event.id,
    actor_id: actor.id,
    via: actor.via ?? '',
    action: 'delete',
    from_status: event.status,
    to_status: event.status,
    handler_id: event.handler_id,
    content: 'deleted',
  };
}
