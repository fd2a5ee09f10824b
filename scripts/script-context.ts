import { closeScriptContext, openScriptContext, type ScriptContext } from '../src/core/app/script-context';

export { closeScriptContext, openScriptContext, type ScriptContext };

export type ScriptMain = (ctx: ScriptContext, args: string[]) => Promise<void>;
