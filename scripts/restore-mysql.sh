#!/usr/bin/env bash
# Restores a backup of scripts/backup-mysql.sh into a database, creating it. It refuses a database that
# already has tables: restore next to the live one (tandem_restored), check it, then switch
# mysql.database or rename, rather than writing over data in place.
#
#   bash scripts/restore-mysql.sh /var/backups/tandem/tandem-2026-12-06.sql.gz tandem_restored -- -h db.internal -u admin
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "Usage: bash scripts/restore-mysql.sh FILE.sql.gz DATABASE [-- CLIENT OPTIONS]" >&2
  exit 64
fi
file=$1
database=$2
shift 2
[[ ${1:-} == -- ]] && shift
[[ $database =~ ^[A-Za-z0-9_]+$ ]] || {
  echo "The database name may hold letters, digits and _ only, not '$database'." >&2
  exit 64
}
[[ -r $file ]] || {
  echo "There is no readable backup file $file." >&2
  exit 1
}
client=$(command -v mariadb || command -v mysql) || {
  echo "Neither the mariadb nor the mysql client is installed; install mariadb-client first." >&2
  exit 1
}
tables=$("$client" "$@" --batch --skip-column-names -e \
  "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '$database'")
if [[ $tables -gt 0 ]]; then
  echo "The database $database already has $tables tables; restore into a new name instead. Nothing was changed." >&2
  exit 1
fi
"$client" "$@" -e "CREATE DATABASE IF NOT EXISTS \`$database\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
gzip -dc "$file" | "$client" "$@" "$database"
tables=$("$client" "$@" --batch --skip-column-names -e \
  "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '$database'")
echo "Restored $file into the database $database ($tables tables)."
