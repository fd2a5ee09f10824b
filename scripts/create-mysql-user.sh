#!/usr/bin/env bash
# Creates (or updates) the MariaDB user a tandem host connects as, with only the grants tandem needs:
# its rows (SELECT, INSERT, UPDATE, DELETE), and its own schema for the migrations that the deploy runs
# (CREATE, ALTER, INDEX, DROP, REFERENCES), on its database alone. No global privilege, no other
# database, no GRANT OPTION. Creates the database too when it is missing.
#
#   printf '%s\n' "$PASSWORD" | bash scripts/create-mysql-user.sh --user tandem --database tandem --from '10.0.%'
#
# The password is read from standard input, never from the command line (the process list shows it).
# The script runs the mariadb client (or mysql) as an administrator: by default the local root over the
# Unix socket, as on a fresh Debian MariaDB; pass the client's own options after `--` to connect
# otherwise (e.g. -- -h db.internal -u admin -p).
set -euo pipefail

user=tandem
database=tandem
from=%
usage() {
  echo "Usage: printf '%s\\n' PASSWORD | bash scripts/create-mysql-user.sh [--user NAME] [--database NAME] [--from HOST] [-- CLIENT OPTIONS]" >&2
  exit 64
}
while [[ $# -gt 0 ]]; do
  case $1 in
    --user) user=${2:?}; shift 2 ;;
    --database) database=${2:?}; shift 2 ;;
    --from) from=${2:?}; shift 2 ;;
    --) shift; break ;;
    *) usage ;;
  esac
done
# Names go into SQL: letters, digits and _ only (hosts may also hold . % - and :).
[[ $user =~ ^[A-Za-z0-9_]+$ && $database =~ ^[A-Za-z0-9_]+$ && $from =~ ^[A-Za-z0-9_.%:-]+$ ]] || {
  echo "The user and database names may hold letters, digits and _ only, and --from a host or pattern." >&2
  exit 64
}
if [[ -t 0 ]]; then
  echo "Give the password on standard input (printf '%s\\n' \"\$PASSWORD\" | bash $0 ...)." >&2
  exit 64
fi
IFS= read -r password || true
if [[ ${#password} -lt 12 ]]; then
  echo "The password must have at least 12 characters; nothing was changed." >&2
  exit 1
fi
client=$(command -v mariadb || command -v mysql) || {
  echo "Neither the mariadb nor the mysql client is installed; install mariadb-client first." >&2
  exit 1
}
# The password as an SQL string literal: backslashes and quotes escaped.
quoted=${password//\\/\\\\}
quoted=${quoted//\'/\\\'}
"$client" "$@" --batch <<SQL
CREATE DATABASE IF NOT EXISTS \`$database\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '$user'@'$from' IDENTIFIED BY '$quoted';
ALTER USER '$user'@'$from' IDENTIFIED BY '$quoted';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP, REFERENCES ON \`$database\`.* TO '$user'@'$from';
SQL
echo "MariaDB user '$user'@'$from' may now use the database $database, and nothing else."
