/**
 * Prints configuration values for shell tools (deploy/local-services.sh):
 * one value per key path given, each followed by a NUL byte, so that any
 * character in a value (a password) survives.
 *
 *   node -r ./node_modules/tsx/dist/cjs/index.cjs scripts/print-config.ts mysql.host redis.url
 *
 * It reads config.ts and TANDEM_* exactly as the server does (defaults apply
 * when config.ts is absent) and exits 78 on an invalid configuration, with
 * one line per bad key. Arrays print comma-separated.
 */
import { loadConfigOrExit } from '../src/core/config';

function valueAt(config: unknown, keyPath: string): string {
  let node: unknown = config;
  for (const part of keyPath.split('.')) {
    if (typeof node !== 'object' || node === null || !(part in node)) {
      process.stderr.write(`There is no configuration key ${keyPath}; see config.example.ts for the keys.\n`);
      process.exit(64);
    }
    node = (node as Record<string, unknown>)[part];
  }
  if (Array.isArray(node)) return node.map(String).join(',');
  if (typeof node === 'object' && node !== null) {
    process.stderr.write(`Configuration key ${keyPath} is a section, not a value; name one of its keys.\n`);
    process.exit(64);
  }
  return String(node);
}

const keys = process.argv.slice(2);
if (keys.length === 0) {
  process.stderr.write('Name the configuration keys to print, e.g. mysql.host redis.url.\n');
  process.exit(64);
}
const config = loadConfigOrExit();
process.stdout.write(keys.map((key) => `${valueAt(config, key)}\0`).join(''));
