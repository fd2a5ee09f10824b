#!/usr/bin/env bash
# CI: `make domain` writes a new domain that passes lint and its own tests with no hand edit.
# Runs in a clone of this checkout's HEAD in a temporary folder (the checkout is never touched),
# with this checkout's node_modules; needs the Thrift compiler (make thrift) and MariaDB and Redis.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/tandem-domain-check.XXXXXX")
trap 'rm -rf "$work"' EXIT

git clone --quiet "$root" "$work/tandem"
ln -s "$root/node_modules" "$work/tandem/node_modules"
cd "$work/tandem"

echo "make domain NAME=ci_notes, in a clone at $work/tandem"
make --no-print-directory domain NAME=ci_notes
make --no-print-directory lint
npx jest --ci --runTestsByPath test/integration/ci-notes.test.ts test/e2e/ci-notes-doors.test.ts \
  test/integration/thrift-idl-agreement.test.ts
