import { z } from 'zod';
import { defineRoute, type Route } from '../../core/api/route';
import { AuthError } from '../../exception';
import type { StaffService } from '../../service/staff';

const profile = z.object({
  id: z.number().int(),
  username: z.string(),
  display_name: z.string(),
  roles: z.array(z.string()),
  disabled: z.boolean(),
});

const tags = ['auth'];

/**
 * No message of this schema repeats what the client sent: zod's default for
 * an unknown key names the key, and a client that puts the password in the
 * wrong place would see it echoed (and a proxy might log it).
 */
const loginBody = z.strictObject(
  { username: z.string().trim().min(1).max(64), password: z.string().min(1).max(256) },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? 'only username and password are accepted' : undefined) },
);

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
      response: z.object({ token: z.string(), expires_in: z.number(), staff: profile }),
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
      response: profile,
      noStore: true,
      handler: ({ ctx }) => {
        if (!ctx.staff) throw new AuthError('AUTH_REQUIRED');
        return staff.me(ctx.staff.id);
      },
    }),
  ];
}
