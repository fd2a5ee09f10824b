import type { RequestContext } from '../core/ctx';
import { AuthError } from '../exception';
import type { Actor } from '../service/cs/cs-types';

/** The logged-in staff member as the services see them. */
export function actorOf(ctx: RequestContext): Actor {
  const staff = ctx.staff;
  if (!staff) throw new AuthError('AUTH_REQUIRED');
  return { id: staff.id, admin: staff.permissions.has('cs_event.admin') };
}
