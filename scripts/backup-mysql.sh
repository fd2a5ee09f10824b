#!/usr/bin/env bash
# Backs up one tandem database to a gzipped SQL file with mariadb-dump (or mysqldump): a consistent
# snapshot taken inside one transaction (--single-transaction; every tandem table is InnoDB), so the
# server keeps serving while it runs. The file holds no CREATE DATABASE: it restores into any name
# (scripts/restore-mysql.sh).
#
#   bash scripts/backup-mysql.sh tandem /var/backups/tandem/tandem-$(date +%F).sql.gz -- -h db.internal -u backup
#
# Options after `--` go to the client (host, user; a password is best kept in the client's option file,
# ~/.my.cnf, never on the command line). The file is written under a temporary name and renamed only
# once the dump has succeeded, so a failed backup never leaves a file that looks whole.
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "Usage: bash scripts/backup-mysql.sh DATABASE FILE.sql.gz [-- CLIENT OPTIONS]" >&2
  exit 64
fi
database=$1
file=$2
shift 2
[[ ${1:-} == -- ]] && shift
dump=$(command -v mariadb-dump || command -v mysqldump) || {
  echo "Neither mariadb-dump nor mysqldump is installed; install mariadb-client first." >&2
  exit 1
}
partial="$file.partial"
trap 'rm -f "$partial"' EXIT
"$dump" "$@" --single-transaction --quick --routines --triggers --hex-blob \
  --default-character-set=utf8mb4 --no-tablespaces "$database" | gzip -c >"$partial"
mv "$partial" "$file"
trap - EXIT
echo "Backed up the database $database to $file ($(wc -c <"$file") bytes)."
