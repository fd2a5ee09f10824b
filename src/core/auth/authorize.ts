import type { Request } from 'express';
import { AuthError } from '../../exception';
import type { Route } from '../api/route';
import type { RequestContext } from '../ctx';
import type { AccessControl } from './permissions';
import type { SessionStore } from './sessions';

/** The bearer token of a request, if it sent one; the scheme name is case-insensitive (RFC 9110 §11.1). */
function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer +([A-Za-z0-9_-]{20,200})$/i.exec(header);
  return match?.[1];
}

/**
 * The auth check of every non-public route: a valid session (401 otherwise)
 * whose roles grant the route's permission (403 otherwise). Records the staff
 * member on the request context for logs and services.
 */
export function createAuthorize(sessions: SessionStore, access: AccessControl) {
  return async (route: Route, req: Request, ctx: RequestContext): Promise<void> => {
    const token = bearerToken(req);
    if (!token) throw new AuthError('AUTH_REQUIRED');
    const session = await sessions.get(token);
    if (!session) throw new AuthError('AUTH_INVALID_TOKEN');
    const permissions = access.permissionsOf(session.roles);
    ctx.staff = { id: session.staff_id, username: session.username, roles: session.roles, permissions, token };
    ctx.caller = `staff:${session.staff_id}`;
    if (route.permission !== 'authenticated' && !permissions.has(route.permission)) {
      throw new AuthError('AUTH_FORBIDDEN', { params: { permission: route.permission } });
    }
  };
}
