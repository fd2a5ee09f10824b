import fs from 'node:fs';
import path from 'node:path';

/**
 * Which release this process runs. `npm run deploy` writes `release.json` at
 * the root of every release it builds; a checkout without one (development)
 * reports version "dev".
 */
export interface ReleaseInfo {
  /** The commit the release was built from, or "dev". */
  version: string;
  /** The release's directory name on the host (`<time>-<sha>`), or "dev". */
  release: string;
}

const DEV: ReleaseInfo = { version: 'dev', release: 'dev' };

/** Reads `release.json` from the first directory above `from` that has a package.json. */
export function readReleaseInfo(from: string = __dirname): ReleaseInfo {
  let dir = from;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) break;
    const parent = path.dirname(dir);
    if (parent === dir) return DEV;
    dir = parent;
  }
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, 'release.json'), 'utf8');
  } catch {
    return DEV;
  }
  const parsed = JSON.parse(text) as Partial<ReleaseInfo>;
  if (typeof parsed.version !== 'string' || typeof parsed.release !== 'string') {
    throw new Error(`${path.join(dir, 'release.json')} must hold string fields "version" and "release".`);
  }
  return { version: parsed.version, release: parsed.release };
}

let cached: ReleaseInfo | undefined;

/** This process's release, read once. */
export function currentRelease(): ReleaseInfo {
  cached ??= readReleaseInfo();
  return cached;
}
