import { closeScriptContext, openScriptContext, type ScriptContext } from '../src/core/app/script-context';

export { closeScriptContext, openScriptContext, type ScriptContext };

export type ScriptMain = (ctx: ScriptContext, args: string[]) => Promise<void>;

/**
 * The script was called with missing or wrong arguments. The runner prints
 * its message alone (no stack, no log line) and exits 64 (EX_USAGE).
 */
export class UsageError extends Error {
  override name = 'UsageError';
}
