import { UserError } from '../../exception';
import { CS_MAX_PRIORITY, type CsStatus, type CsTransition } from './cs-types';

/**
 * The rules of an event's status: any status may move to any other until
 * `done`, which is final; moving to the status it already has is a conflict;
 * `forward` hands the event to a new handler, so it needs one.
 * Returns the handler after the change.
 */
export function applyTransition(
  event: { id: number; status: CsStatus; handler_id: number },
  change: CsTransition,
): { status: CsStatus; handler_id: number } {
  assertChangeable(event);
  if (change.to === event.status) {
    throw new UserError('CS_SAME_STATUS', { params: { id: event.id, status: event.status } });
  }
  if (change.to === 'forward') {
    if (change.handler_id === undefined) {
      throw new UserError('CS_FORWARD_NEEDS_HANDLER', {
        fields: [{ field: 'handler_id', message: 'required when forwarding' }],
      });
    }
    return { status: 'forward', handler_id: change.handler_id };
  }
  return { status: change.to, handler_id: event.handler_id };
}

/** A done event cannot change at all. */
export function assertChangeable(event: { id: number; status: CsStatus }): void {
  if (event.status === 'done') throw new UserError('CS_EVENT_DONE', { params: { id: event.id } });
}

/** One step up in priority, capped at the top. */
export function escalatedPriority(priority: number): number {
  return Math.min(priority + 1, CS_MAX_PRIORITY);
}
