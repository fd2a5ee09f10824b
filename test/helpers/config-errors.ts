import { buildConfig, ConfigError, type ConfigInput } from '../../src/core/config';

/** The lines of the ConfigError buildConfig reports for this input (warnings silenced); throws if it is accepted. */
export function configErrorLines(file: ConfigInput | undefined, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    buildConfig(file, env, () => undefined);
  } catch (err) {
    if (err instanceof ConfigError) return err.lines;
    throw err;
  }
  throw new Error('buildConfig accepted an invalid configuration');
}
