#!/usr/bin/env bash
# Makes sure the MariaDB and Redis that tandem is configured for are reachable,
# then creates the configured database and the test database (tandem_test).
#
# Called by `make develop` and by .ci/run. The addresses come from the
# project's configuration (config.ts if present, TANDEM_* variables, else the
# defaults): 127.0.0.1:3306 root with an empty password, redis://127.0.0.1:6379/0.
#
# When a server on this machine is down and this runs as root on Debian, the
# missing Debian package is installed (mariadb-server, redis-server) and the
# server is started with this machine's own idempotent start command. In every
# other case (not root, not Debian, a server on another host) it says what to
# install and how to point the configuration at an existing server, and exits 1.
#
# Needs node_modules (run `npm ci` first): the configuration is read with tsx.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

TEST_DATABASE=tandem_test
MYSQL_WAIT_SECONDS=60
REDIS_WAIT_SECONDS=20

say() { printf '%s\n' "local-services: $*"; }
fail() {
  printf '%s\n' "local-services: $*" >&2
  exit 1
}

# --- Configuration -----------------------------------------------------------

[[ -f node_modules/tsx/dist/cjs/index.cjs ]] ||
  fail "Dependencies are not installed; run 'npm ci' first (make develop does)."

config_file=$(mktemp)
trap 'rm -f "$config_file"' EXIT
if ! node -r ./node_modules/tsx/dist/cjs/index.cjs scripts/print-config.ts \
  mysql.host mysql.port mysql.user mysql.password mysql.database redis.url >"$config_file"; then
  fail "Could not read the configuration (see above); fix config.ts or the TANDEM_* variables and run again."
fi
cfg=()
while IFS= read -r -d '' value; do cfg+=("$value"); done <"$config_file"
[[ ${#cfg[@]} -eq 6 ]] || fail "The configuration printed ${#cfg[@]} values instead of 6; this is a bug in scripts/print-config.ts."
MYSQL_HOST=${cfg[0]}
MYSQL_PORT=${cfg[1]}
MYSQL_USER=${cfg[2]}
MYSQL_PASSWORD=${cfg[3]}
MYSQL_DATABASE=${cfg[4]}
REDIS_URL=${cfg[5]}

# redis[s]://[user:password@]host[:port][/db]
if [[ $REDIS_URL =~ ^(rediss?)://([^@/]*@)?(\[[^]/]+\]|[^:/]+)(:([0-9]+))?(/.*)?$ ]]; then
  REDIS_SCHEME=${BASH_REMATCH[1]}
  REDIS_HOST=${BASH_REMATCH[3]}
  REDIS_HOST=${REDIS_HOST#[}
  REDIS_HOST=${REDIS_HOST%]}
  REDIS_PORT=${BASH_REMATCH[5]:-6379}
else
  fail "redis.url is '$REDIS_URL', which is not a redis://host:port/db URL; fix it in config.ts or TANDEM_REDIS_URL."
fi

say "MariaDB is configured at $MYSQL_HOST:$MYSQL_PORT (user $MYSQL_USER, database $MYSQL_DATABASE); Redis at $REDIS_HOST:$REDIS_PORT."

# --- Helpers -----------------------------------------------------------------

is_local() { [[ $1 == 127.0.0.1 || $1 == localhost || $1 == ::1 ]]; }
is_debian() { [[ -f /etc/debian_version ]] && command -v apt-get >/dev/null; }
is_root() { [[ $(id -u) -eq 0 ]]; }

# Runs a command for at most $1 seconds where coreutils' timeout exists (not on macOS).
bounded() {
  local seconds=$1
  shift
  if command -v timeout >/dev/null; then timeout "$seconds" "$@"; else "$@"; fi
}

# True when something accepts TCP connections on host:port.
# shellcheck disable=SC2016 # $1 and $2 expand in the inner bash.
tcp_open() { bounded 3 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null; }

mysql_reachable() {
  if command -v mysqladmin >/dev/null; then
    # ping answers 0 whenever the server is up, even if the login is refused.
    MYSQL_PWD=$MYSQL_PASSWORD mysqladmin --protocol=TCP -h "$MYSQL_HOST" -P "$MYSQL_PORT" -u "$MYSQL_USER" \
      --connect-timeout=3 ping >/dev/null 2>&1
  else
    tcp_open "$MYSQL_HOST" "$MYSQL_PORT"
  fi
}

redis_reachable() {
  if command -v redis-cli >/dev/null && [[ $REDIS_SCHEME == redis ]]; then
    # A server that asks for a password (NOAUTH) is up all the same.
    local reply
    reply=$(bounded 5 redis-cli -u "$REDIS_URL" --no-auth-warning ping 2>&1) || return 1
    [[ $reply == PONG || $reply == *NOAUTH* || $reply == *WRONGPASS* ]]
  else
    tcp_open "$REDIS_HOST" "$REDIS_PORT"
  fi
}

# Polls a check once a second for at most the given number of seconds.
wait_for() {
  local check=$1 seconds=$2 i
  for ((i = 0; i < seconds; i++)); do
    if "$check"; then return 0; fi
    sleep 1
  done
  return 1
}

apt_updated=false
apt_install() {
  if [[ $apt_updated == false ]]; then
    say "Updating the Debian package lists."
    apt-get update -qq
    apt_updated=true
  fi
  say "Installing the Debian package(s) $*."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Says what to do when a server is down and this script may not fix it itself.
explain_mysql() {
  cat >&2 <<EOF

MariaDB (or MySQL) does not answer at $MYSQL_HOST:$MYSQL_PORT, and this script can only install and
start one on this machine when it runs as root on Debian and the host is local ($1).

Either install and start a server here:
  Debian/Ubuntu:  sudo apt-get install mariadb-server
                  sudo start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
                  (or: sudo systemctl start mariadb)
  macOS:          brew install mariadb && brew services start mariadb
  or run:         sudo bash deploy/local-services.sh
and let the configured user ($MYSQL_USER) log in over TCP from 127.0.0.1.

Or point tandem at an existing server, in config.ts (mysql.host, mysql.port, mysql.user,
mysql.password) or with environment variables, then run this again:
  TANDEM_MYSQL_HOST=db.example.internal TANDEM_MYSQL_PORT=3306 \\
  TANDEM_MYSQL_USER=tandem TANDEM_MYSQL_PASSWORD=... make develop
EOF
}

explain_redis() {
  cat >&2 <<EOF

Redis does not answer at $REDIS_HOST:$REDIS_PORT, and this script can only install and start one
on this machine when it runs as root on Debian and the host is local ($1).

Either install and start a server here:
  Debian/Ubuntu:  sudo apt-get install redis-server
                  sudo redis-server --daemonize yes --bind 127.0.0.1 -::1 --port $REDIS_PORT --save "" --appendonly no \\
                    --dir /var/lib/redis --logfile /var/log/redis/ci.log
                  (or: sudo systemctl start redis-server)
  macOS:          brew install redis && brew services start redis
  or run:         sudo bash deploy/local-services.sh

Or point tandem at an existing server, in config.ts (redis.url) or with an environment variable,
then run this again:
  TANDEM_REDIS_URL=redis://:PASSWORD@cache.example.internal:6379/0 make develop
EOF
}

# Why this script may not install or start a server itself, or nothing.
why_not_here() {
  local host=$1
  if ! is_local "$host"; then
    echo "the configured host $host is not this machine"
  elif ! is_debian; then
    echo "this machine is not Debian"
  elif ! is_root; then
    echo "this script is not running as root"
  fi
}

# --- MariaDB -----------------------------------------------------------------

mariadb_installed_now=false
if mysql_reachable; then
  say "MariaDB answers at $MYSQL_HOST:$MYSQL_PORT."
else
  reason=$(why_not_here "$MYSQL_HOST")
  if [[ -z $reason && $MYSQL_PORT != 3306 ]]; then
    reason="the configured port $MYSQL_PORT is not MariaDB's default 3306, which a started server listens on"
  fi
  if [[ -n $reason ]]; then
    explain_mysql "$reason"
    exit 1
  fi
  if [[ ! -x /usr/sbin/mariadbd ]]; then
    apt_install mariadb-server mariadb-client
    mariadb_installed_now=true
  fi
  say "Starting MariaDB."
  install -d -o mysql -g mysql /run/mysqld
  # The machine's own start command; --user lets root start it where my.cnf names no user.
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  if ! wait_for mysql_reachable "$MYSQL_WAIT_SECONDS"; then
    fail "MariaDB did not answer within ${MYSQL_WAIT_SECONDS}s of starting; see /var/log/mysql/error.log."
  fi
  say "MariaDB answers at $MYSQL_HOST:$MYSQL_PORT."
fi

# --- Redis -------------------------------------------------------------------

if redis_reachable; then
  say "Redis answers at $REDIS_HOST:$REDIS_PORT."
else
  reason=$(why_not_here "$REDIS_HOST")
  if [[ -z $reason && $REDIS_SCHEME != redis ]]; then
    reason="the configured URL uses TLS (rediss://), which a locally started server does not serve"
  fi
  if [[ -n $reason ]]; then
    explain_redis "$reason"
    exit 1
  fi
  if ! command -v redis-server >/dev/null; then
    apt_install redis-server
  fi
  say "Starting Redis on port $REDIS_PORT."
  install -d /var/lib/redis /var/log/redis
  # The machine's own start command (on the configured port).
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  if ! wait_for redis_reachable "$REDIS_WAIT_SECONDS"; then
    fail "Redis did not answer within ${REDIS_WAIT_SECONDS}s of starting; see /var/log/redis/ci.log."
  fi
  say "Redis answers at $REDIS_HOST:$REDIS_PORT."
fi

# --- Databases ---------------------------------------------------------------

# Runs SQL as the configured user over TCP, as the server does: with the mysql
# client when installed, else with the mysql2 driver from node_modules.
run_sql() {
  if command -v mysql >/dev/null; then
    MYSQL_PWD=$MYSQL_PASSWORD mysql --protocol=TCP -h "$MYSQL_HOST" -P "$MYSQL_PORT" -u "$MYSQL_USER" \
      --connect-timeout=5 --batch --skip-column-names -e "$1"
  else
    SQL=$1 MYSQL_HOST=$MYSQL_HOST MYSQL_PORT=$MYSQL_PORT MYSQL_USER=$MYSQL_USER MYSQL_PWD=$MYSQL_PASSWORD node -e '
      const mysql = require("mysql2/promise");
      const e = process.env;
      mysql
        .createConnection({ host: e.MYSQL_HOST, port: Number(e.MYSQL_PORT), user: e.MYSQL_USER,
          password: e.MYSQL_PWD, multipleStatements: true, connectTimeout: 5000 })
        .then(async (c) => { await c.query(e.SQL); await c.end(); })
        .catch((err) => { console.error(err.message); process.exit(1); });'
  fi
}

if ! run_sql 'SELECT 1' >/dev/null 2>&1; then
  if [[ $mariadb_installed_now == true && $MYSQL_USER == root && -z $MYSQL_PASSWORD ]] && is_local "$MYSQL_HOST"; then
    # Debian's fresh install lets root in over the socket only; tandem's
    # development default is root with an empty password over TCP.
    say "Letting root log in to the MariaDB just installed over TCP from this machine with an empty password (tandem's development default)."
    mysql --protocol=SOCKET -u root -e "
      ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');
      CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY '';
      GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;"
  fi
fi
if ! login_error=$(run_sql 'SELECT 1' 2>&1 >/dev/null); then
  cat >&2 <<EOF
local-services: MariaDB answers at $MYSQL_HOST:$MYSQL_PORT but refuses user $MYSQL_USER: ${login_error:-no reason given}
Set mysql.user and mysql.password in config.ts (or TANDEM_MYSQL_USER and TANDEM_MYSQL_PASSWORD) to an
account that may create databases, or, on a development machine where root logs in over the socket only:
  sudo mysql -e "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''; GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;"
EOF
  exit 1
fi

for database in "$MYSQL_DATABASE" "$TEST_DATABASE"; do
  if ! create_error=$(run_sql "CREATE DATABASE IF NOT EXISTS \`${database//\`/\`\`}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" 2>&1); then
    fail "Could not create the database $database as $MYSQL_USER: $create_error
Create it with an account that may, or grant $MYSQL_USER the CREATE privilege, and run this again."
  fi
  say "Database $database is there."
done

# --- Migrations --------------------------------------------------------------
# The development database gets its schema; tests migrate their own databases.
say "Applying migrations to the configured database."
npm run --silent migrate -- up

say "MariaDB and Redis are ready."

# --- Thrift compiler -------------------------------------------------------------
# `make thrift` (and so `make domain`, which adds IDL) needs Apache Thrift's compiler; building and
# serving do not (the generated code is committed).
if ! command -v thrift >/dev/null; then
  if is_debian && is_root; then
    apt_install thrift-compiler
  else
    say "The Thrift compiler is not installed (apt-get install thrift-compiler); make thrift and make domain need it."
  fi
fi

# --- logrotate --------------------------------------------------------------------
# deploy/logrotate/tandem is what hosts rotate their logs with; test/e2e/logrotate.test.ts runs the
# real logrotate with it. Installed where it can be (Debian, as root); else that test says why it skips.
if ! command -v logrotate >/dev/null && [[ ! -x /usr/sbin/logrotate ]]; then
  if is_debian && is_root; then
    apt_install logrotate
  else
    say "logrotate is not installed (apt-get install logrotate); the logrotate test will skip."
  fi
fi

# --- Test clients --------------------------------------------------------------
# The THeader test talks to the Thrift port with a real Python Apache Thrift
# client (THeaderProtocol). Installed where it can be (Debian, as root); else
# that test says why it skips.
if ! /usr/bin/python3 -c 'import thrift.protocol.THeaderProtocol' 2>/dev/null; then
  if is_debian && is_root; then
    apt_install python3-thrift
  else
    say "python3-thrift is not installed (apt-get install python3-thrift); the Thrift THeader test will skip."
  fi
fi

# --- Prometheus ------------------------------------------------------------------
# The monitoring test (test/e2e/prometheus-scrape.test.ts) checks deploy/monitoring's rules with
# promtool and has a real Prometheus scrape a server and a worker. Debian's package brings both; its
# service is not started here (the test runs its own on a free port). Elsewhere that test says why it skips.
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  if is_debian && is_root; then
    apt_install prometheus
  else
    say "Prometheus is not installed (apt-get install prometheus); the monitoring scrape test will skip."
  fi
fi
