import { closeScriptContext, openScriptContext, type ScriptContext } from '../src/core/app/script-context';

export { closeScriptContext, openScriptContext, type ScriptContext };

export type ScriptMain = (ctx: ScriptContext, args: string[]) => Promise<void>;

/** Reads `--name value` pairs; a flag without a value is "true". */
export function parseFlags(args: string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (!arg.startsWith('--')) continue;
    const next = args[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      flags[arg.slice(2)] = next;
      i += 1;
    } else {
      flags[arg.slice(2)] = 'true';
    }
  }
  return flags;
}
