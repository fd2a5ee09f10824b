#!/usr/bin/env bash
# Installs exactly the dependency versions recorded in package-lock.json.
#
# `npm ci` first. Where the npm registry in use serves no builds of the
# optional, platform-specific packages for other systems (@swc/core-darwin-*,
# @esbuild/win32-*, ...), the lock cannot list them, and npm 11's `npm ci`
# then refuses the lock as "not in sync" ("Missing: ... from lock file") even
# though nothing this machine needs is missing. In that one case this falls
# back to `npm install`, which installs the same locked versions, and fails if
# that had to change package-lock.json: a lock really out of sync with
# package.json is still an error, as with `npm ci`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT

if npm ci --no-audit --no-fund 2>&1 | tee "$log"; then
  exit 0
fi

# What npm ci found out of sync: "Missing: NAME@VERSION from lock file" or "Invalid: ...".
problems=$(grep -E '^npm error (Missing|Invalid): ' "$log" || true)
unserved=$(grep -cE '^npm error Missing: \S+@ from lock file$' <<<"$problems" || true)
if ! grep -q 'can only install packages when your package.json and package-lock.json' "$log" ||
  [[ $unserved -eq 0 || $unserved -ne $(grep -c . <<<"$problems") ]]; then
  # Another failure, or a locked package really missing or invalid: npm ci's verdict stands.
  exit 1
fi

echo "npm ci refused the lock only for optional packages this registry does not serve (listed above without a version);"
echo "installing the locked versions with npm install instead."
before=$(sha256sum package-lock.json)
npm install --no-audit --no-fund
if [[ $(sha256sum package-lock.json) != "$before" ]]; then
  echo "npm install had to change package-lock.json, so it is out of sync with package.json." >&2
  echo "Run 'npm install', review and commit package-lock.json, then run this again." >&2
  exit 1
fi
