import { defineOperation } from '../../core/pipeline';
import { CS_WRITE } from './cs-access';
import type { CsEventService } from './cs-event-service';
import { createEventBody, csEventSchema, eventIdInput } from './cs-schemas';
import type { Actor } from './cs-types';

/**
 * The customer-service operations served by both doors, each declared once:
 * its name (the Thrift method's), schemas, permission, error codes and
 * handler. src/api/cs binds them to HTTP routes and src/thrift/cs.ts to IDL
 * methods; test/integration/thrift-idl-agreement.test.ts checks the IDL
 * against these declarations.
 */
export function csOperations(events: CsEventService) {
  return {
    createEvent: defineOperation({
      name: 'create_cs_event',
      summary: 'Record an event; its first timeline record is written with it.',
      permission: CS_WRITE,
      input: createEventBody,
      output: csEventSchema,
      errors: ['VALIDATION_FAILED', 'CS_CATEGORY_NOT_FOUND', 'CS_HANDLER_INVALID', 'CS_REQUEST_KEY_CONFLICT'],
      handler: (actor: Actor, input) => events.create(actor, input),
    }),
    getEvent: defineOperation({
      name: 'get_cs_event',
      summary: 'One event.',
      permission: 'cs_event.read',
      input: eventIdInput,
      output: csEventSchema,
      errors: ['CS_EVENT_NOT_FOUND'],
      handler: (_actor: Actor, { id }) => events.get(id),
    }),
  };
}

export type CsOperations = ReturnType<typeof csOperations>;
