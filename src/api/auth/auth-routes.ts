import { z } from 'zod';
import { defineRoute, type Route } from '../../core/api/route';
import { AuthError } from '../../exception';
import type { StaffService } from '../../service/staff';
import { loginBody, loginResultSchema, profileSchema } from '../../service/staff/staff-schemas';

const tags = ['auth'];

/** Login, logout and the current staff member. */
export function authRoutes(staff: StaffService): Route[] {
  return [
    defineRoute({
      method: 'post',
      path: '/api/auth/login',
      summary: 'Log in with username and password; returns a bearer token.',
      tags,
      permission: 'public',
      body: loginBody,
      example: { username: 'agent.li', password: 'correct horse battery staple' },
      response: loginResultSchema,
      errors: ['AUTH_BAD_CREDENTIALS', 'AUTH_RATE_LIMITED', 'AUTH_ACCOUNT_DISABLED'],
      noStore: true,
      handler: ({ body, ctx }) => staff.login(body.username, body.password, ctx.clientAddress ?? 'unknown'),
    }),
    defineRoute({
      method: 'post',
      path: '/api/auth/logout',
      summary: 'Revoke the session of this token.',
      tags,
      permission: 'authenticated',
      response: z.null(),
      handler: async ({ ctx }) => {
        if (!ctx.staff) throw new AuthError('AUTH_REQUIRED');
        await staff.logout(ctx.staff.token, ctx.staff.id);
        return null;
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/auth/me',
      summary: 'The logged-in staff member.',
      tags,
      permission: 'authenticated',
      response: profileSchema,
      noStore: true,
      handler: ({ ctx }) => {
        if (!ctx.staff) throw new AuthError('AUTH_REQUIRED');
        return staff.me(ctx.staff.id);
      },
    }),
  ];
}
