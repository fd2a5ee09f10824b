import type { AccessDeclaration } from '../../core/auth/permissions';

/** The permission a staff member needs to be handed events (and to create and change them). */
export const CS_WRITE = 'cs_event.write';

/** The customer-service domain's permissions and the roles of its agents. */
export const csAccess: AccessDeclaration = {
  permissions: {
    'cs_event.read': 'Read customer-service events, their timelines, categories and counts.',
    [CS_WRITE]: 'Create events and change the events one handles.',
    'cs_event.admin': 'Change any event, delete events, and edit categories.',
  },
  roles: {
    cs_agent: ['cs_event.read', CS_WRITE],
    cs_admin: ['cs_event.read', CS_WRITE, 'cs_event.admin'],
  },
};
