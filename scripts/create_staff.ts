/**
 * Creates a staff account, or updates it when the username exists:
 *
 *   npm run script -- scripts/create_staff.ts --username ana --password 'a long secret' --roles cs_agent,cs_admin [--name "Ana Li"]
 *   printf '%s\n' "$PASS" | npm run --silent script -- scripts/create_staff.ts --username ana --password-stdin --roles cs_agent
 *   npm run script -- scripts/create_staff.ts --username ana --disable     (ends every session of ana)
 *
 * A password given with --password shows in the process list, the shell
 * history, and npm's echo of the command (unless --silent); --password-stdin
 * reads it from standard input instead (one line; the newline is dropped).
 *
 * Roles: cs_agent, cs_admin, risk_reviewer, admin (see src/core/auth/permissions.ts).
 */
import { parseArgs } from 'node:util';
import { createStaffDomain } from '../src/service/staff';
import { ACCESS } from '../src/domains';
import type { ScriptContext } from './script-context';

const OPTIONS = {
  username: { type: 'string' },
  password: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  roles: { type: 'string' },
  name: { type: 'string' },
  disable: { type: 'boolean' },
  enable: { type: 'boolean' },
} as const;

export default async function createStaff(ctx: ScriptContext, args: string[]): Promise<void> {
  // strict: an unknown or misspelled flag is an error naming it, not silently ignored.
  const { values: flags } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false });
  const username = flags.username;
  if (!username) throw new Error('Give --username NAME.');
  const { staff } = createStaffDomain(ctx.sequelize, ctx.redis, ctx.config.auth, ACCESS);
  if (flags.disable || flags.enable) {
    const disabled = flags.disable === true;
    const changed = await staff.setDisabledByUsername(username, disabled);
    if (!changed) throw new Error(`There is no staff member named ${username}; check the name or create them first.`);
    process.stdout.write(`${username} is now ${disabled ? 'disabled; their sessions have ended' : 'enabled'}.\n`);
    return;
  }
  const password = flags['password-stdin'] ? await readStdin() : flags.password;
  if (!password) throw new Error('Give --password PASSWORD or --password-stdin (at least 8 characters).');
  const roles = (flags.roles ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  if (roles.length === 0) throw new Error('Give --roles ROLE[,ROLE] (cs_agent, cs_admin, risk_reviewer, admin).');
  const profile = await staff.upsert({ username, password, roles, display_name: flags.name });
  process.stdout.write(`Staff ${profile.username} (id ${profile.id}) has roles ${profile.roles.join(', ')}.\n`);
}

/** Standard input up to its end, without the trailing newline. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
