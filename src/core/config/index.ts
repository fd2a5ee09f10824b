import { buildConfig, ConfigError, readConfigFile } from './load';
import type { Config } from './schema';

export type { Config, ConfigInput } from './schema';
export { buildConfig, ConfigError, configLeaves } from './load';

/**
 * Loads the configuration of this process from `config.ts` and `TANDEM_*`
 * variables. The one place that reads `process.env`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return buildConfig(readConfigFile(env), env);
}

/**
 * Loads the configuration or, when it is invalid, prints one line per bad key
 * to stderr and exits with status 78 (EX_CONFIG).
 */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.lines) process.stderr.write(`${line}\n`);
      process.stderr.write('The configuration is invalid; fix the keys above and start again.\n');
      process.exit(78);
    }
    throw err;
  }
}
