#!/usr/bin/env bash
# Installs exactly the dependency versions recorded in package-lock.json, with
# `npm ci`, and never writes a tracked file.
#
# The lock lists every platform's optional packages (@swc/core-darwin-arm64,
# @esbuild/win32-x64, ...), so it is the same whatever the registry in use
# serves: npm ci skips the ones for other systems without asking the registry
# for them. When npm ci refuses the lock as out of sync with package.json,
# this prints the packages npm named and one sentence saying what to do,
# instead of npm's usage text.
#
# Install scripts of dependencies are governed by package.json's allowScripts
# (npm 11): none is needed, each is denied on purpose (docs/decisions.md).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT

if npm ci --no-audit --no-fund >"$log" 2>&1; then
  # npm's own summary (patches applied, packages added), without blank lines.
  grep -v '^\s*$' "$log" || true
  exit 0
fi

if grep -q 'can only install packages when your package.json and package-lock.json' "$log"; then
  grep -E '^npm error (Missing|Invalid): ' "$log" | sed 's/^npm error /  /' >&2 || true
  echo "package-lock.json is out of sync with package.json (see the packages above): run 'npm install', review and commit package-lock.json, then run this again." >&2
  exit 1
fi

# Any other failure (network, registry, a patch that no longer applies): npm's own words.
grep -v '^npm error\s*$' "$log" | grep -v '^npm error   ' >&2 || true
echo "npm ci failed (see above); nothing in the work tree was changed." >&2
exit 1
