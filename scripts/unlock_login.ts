/**
 * Lifts a login lock before its window ends:
 *
 *   npm run script -- scripts/unlock_login.ts --address 203.0.113.9
 *   npm run script -- scripts/unlock_login.ts --username ana
 *
 * --address takes the client address as tandem saw it (the `address` of the
 * warning "login attempts locked for this address"); an IPv6 address lifts
 * its /64, as that is what the limit counts. --username lifts an account's lock without
 * changing its password (create_staff.ts with a new password lifts it too,
 * and ends the account's sessions). Both may be given at once.
 */
import { parseArgs } from 'node:util';
import { createStaffDomain } from '../src/service/staff';
import { ACCESS } from '../src/domains';
import type { ScriptContext } from './script-context';

const USAGE = 'Give --address ADDRESS or --username NAME (or both).';

export default async function unlockLogin(ctx: ScriptContext, args: string[]): Promise<void> {
  let values: { address?: string | undefined; username?: string | undefined };
  try {
    ({ values } = parseArgs({
      args,
      options: { address: { type: 'string' }, username: { type: 'string' } },
      strict: true,
    }));
  } catch (err) {
    throw new Error(`${(err as Error).message}. ${USAGE}`, { cause: err });
  }
  if (values.address === undefined && values.username === undefined) throw new Error(USAGE);
  const { staff } = createStaffDomain(ctx.sequelize, ctx.redis, ctx.config.auth, ACCESS);
  if (values.address !== undefined) {
    const { key, wasLockedFor } = await staff.unlockAddress(values.address);
    process.stdout.write(
      wasLockedFor > 0
        ? `Logins from ${key} were locked for another ${wasLockedFor} s; the lock is lifted.\n`
        : `Logins from ${key} were not locked; their failed attempts are forgotten.\n`,
    );
  }
  if (values.username !== undefined) {
    const { found, wasLockedFor } = await staff.unlockUsername(values.username);
    const who = found ? values.username : `${values.username} (no such account)`;
    process.stdout.write(
      wasLockedFor > 0
        ? `Logins as ${who} were locked for another ${wasLockedFor} s; the lock is lifted.\n`
        : `Logins as ${who} were not locked; their failed attempts are forgotten.\n`,
    );
  }
}
