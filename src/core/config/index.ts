import cluster from 'node:cluster';
import { buildConfig, ConfigError, readConfigFile } from './load';
import type { Config } from './schema';

export type { Config, ConfigInput } from './schema';
export type { ServiceConfig } from './thirdparty-schema';
export { buildConfig, ConfigError, configLeaves, getPath, mergeInput, readConfigFile } from './load';
export { buildAllowList, type Cidr, isAllowed, parseCidr } from './cidr';
export { acceptedRisks, changeMeKeys, markerLines, refusalLines } from './safety';
export { loadTsConfigFile } from './ts-file';
export {
  formatHostPort,
  HOST_PORT_EXPECTED,
  type HostPort,
  type HostPortRules,
  hostPortText,
  parseHostPort,
  splitHostPort,
} from './host-port';

/**
 * Loads the configuration of this process from `config.ts` and `TANDEM_*`
 * variables. The one place that reads `process.env`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Cluster workers load the same configuration as their primary, which has already warned.
  return buildConfig(readConfigFile(env), env, cluster.isWorker ? () => undefined : undefined);
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
      process.stderr.write('The configuration is invalid or unsafe; fix the keys above and start again.\n');
      process.exit(78);
    }
    throw err;
  }
}
