import type { AccessDeclaration } from '../../core/auth/permissions';

/** The staff domain's permission; the `admin` role, which holds every permission, is core's. */
export const staffAccess: AccessDeclaration = {
  permissions: { 'staff.admin': 'Create, change and disable staff accounts.' },
};
