import { z } from 'zod';

/** The staff domain's shapes, declared once: the login's input, a staff member's profile, a login's answer. */

export const profileSchema = z.object({
  id: z.number().int(),
  username: z.string(),
  display_name: z.string(),
  roles: z.array(z.string()),
  disabled: z.boolean(),
});

/**
 * No message of this schema repeats what the client sent: zod's default for
 * an unknown key names the key, and a client that puts the password in the
 * wrong place would see it echoed (and a proxy might log it).
 */
export const loginBody = z.strictObject(
  { username: z.string().trim().min(1).max(64), password: z.string().min(1).max(256) },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? 'only username and password are accepted' : undefined) },
);

/** What a login answers: the bearer token, how long it lasts, and who logged in. */
export const loginResultSchema = z.object({ token: z.string(), expires_in: z.number(), staff: profileSchema });
