#!/usr/bin/env bash
# Runs tandem's server and worker on a host without systemd, for the deploy's
# restart_command (docs/deploy.md):
#
#   bash current/deploy/service.sh restart [server] [worker]   (both by default)
#   bash current/deploy/service.sh stop|start|status [server] [worker]   (status exits 3 if one is stopped)
#   bash current/deploy/service.sh reload server   (what restart does when the server runs; for systemd's ExecReload)
#   bash current/deploy/service.sh reopen-logs [server] [worker]   (SIGHUP: reopen the log files; logrotate's postrotate)
#
# The server runs behind its reloadable primary (dist/src/primary.js), which
# keeps the HTTP and Thrift ports open: `restart server` while it runs is a
# reload (SIGUSR2): the new release's workers start beside the old ones, and
# the old ones drain and stop only once every new one serves, so no request
# is refused. It waits for the primary's outcome (RELOAD_TIMEOUT seconds, 180)
# and exits 1 when the new workers did not come up (the old ones still serve).
# A server started by an older release (main.js alone) is stopped and started.
#
# Run from DEPLOY_TO (the deploy does). Each service's pid is in
# shared/<service>.pid. Its log lines go to shared/log/<service>.log (log.file, set through
# TANDEM_LOG_FILE unless the environment already sets it), and what it writes to standard output
# and error besides (a crash before the logger is set up, Node's own warnings) to
# shared/log/<service>.out. deploy/logrotate/tandem rotates both: the .log files by renaming them,
# then `reopen-logs` sends SIGHUP, on which every process of the service (the server's primary and
# its workers, the queue worker) reopens its log file by name, losing no line and stopping nothing. stop
# sends SIGTERM and waits for the process to finish its drain and in-flight
# work (STOP_TIMEOUT seconds, 60 by default: keep it above
# server.drain_delay_ms + server.shutdown_timeout_ms), then SIGKILL.
set -euo pipefail

D=${DEPLOY_TO:-$PWD}
STOP_TIMEOUT=${STOP_TIMEOUT:-60}
RELOAD_TIMEOUT=${RELOAD_TIMEOUT:-180}
# Where the primary writes server.primary (its pid) and server.reload (each reload's outcome).
STATE_DIR=${STATE_DIR:-$D/shared}
action=${1:?usage: service.sh start|stop|restart|reload|status|reopen-logs [server] [worker]}
shift
services=("$@")
[[ ${#services[@]} -gt 0 ]] || services=(server worker)

entry() {
  case $1 in
    server) echo dist/src/primary.js ;;
    worker) echo dist/src/worker.js ;;
    *)
      echo "unknown service $1 (server or worker)" >&2
      exit 2
      ;;
  esac
}

running_pid() {
  local pidfile="$D/shared/$1.pid" pid
  [[ -f $pidfile ]] || return 1
  pid=$(cat "$pidfile")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

# The pid of the reloadable primary when that is what serves (MAINPID under systemd, else the pid file).
primary_pid() {
  local pid=${MAINPID:-}
  [[ -n $pid ]] || pid=$(running_pid server) || return 1
  [[ -f $STATE_DIR/server.primary && $(cat "$STATE_DIR/server.primary") == "$pid" ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

reload_server() {
  local pid outcome waited=0
  pid=$(primary_pid) || {
    echo "the server does not run behind its reloadable primary here; use restart" >&2
    return 1
  }
  rm -f "$STATE_DIR/server.reload"
  kill -USR2 "$pid"
  while [[ ! -f $STATE_DIR/server.reload ]]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "the server's primary (pid $pid) exited during the reload" >&2
      return 1
    fi
    if ((waited >= RELOAD_TIMEOUT * 10)); then
      echo "the server's primary (pid $pid) gave no outcome of its reload within ${RELOAD_TIMEOUT}s" >&2
      return 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  outcome=$(cat "$STATE_DIR/server.reload")
  if [[ $outcome != ready* ]]; then
    echo "the server's reload failed: $outcome" >&2
    return 1
  fi
  echo "reloaded server (pid $pid): ${outcome#ready }"
}

stop() {
  local pid waited=0
  pid=$(running_pid "$1") || return 0
  kill -TERM "$pid"
  while kill -0 "$pid" 2>/dev/null; do
    if ((waited >= STOP_TIMEOUT * 10)); then
      echo "$1 (pid $pid) did not stop within ${STOP_TIMEOUT}s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  rm -f "$D/shared/$1.pid"
  echo "stopped $1 (pid $pid)"
}

start() {
  local script
  script=$(entry "$1")
  if running_pid "$1" >/dev/null; then
    echo "$1 is already running" >&2
    return 0
  fi
  mkdir -p "$D/shared/log"
  rm -f "$D/shared/$1.pid"
  # Its own session, and none of this shell's descriptors (the ssh session that started it can end):
  # the shell writes its own pid, then becomes node.
  local args=()
  [[ $1 != server ]] || args=("$D" "$STATE_DIR")
  NODE_ENV=production TANDEM_LOG_FILE=${TANDEM_LOG_FILE:-$D/shared/log/$1.log} \
    setsid bash -c 'echo $$ >"$1"; cd "$2" && exec node --enable-source-maps "${@:3}"' \
    service "$D/shared/$1.pid" "$D/current" "$script" "${args[@]}" </dev/null >>"$D/shared/log/$1.out" 2>&1 &
  for _ in $(seq 50); do
    [[ -s $D/shared/$1.pid ]] && break
    sleep 0.1
  done
  echo "started $1 (pid $(cat "$D/shared/$1.pid" 2>/dev/null || echo unknown)) from $(readlink "$D/current")"
}

# SIGHUP to a service's main process: it reopens its log file (a primary passes it on to its workers).
# Started by this script: its pid file; under systemd: the unit's main pid. A stopped service is skipped.
reopen_logs() {
  local pid=""
  pid=$(running_pid "$1") ||
    pid=$(systemctl show -p MainPID --value "tandem-$1.service" 2>/dev/null) || true
  if [[ -z $pid || $pid == 0 ]]; then
    echo "$1 is not running; no log to reopen"
    return 0
  fi
  kill -HUP "$pid"
  echo "asked $1 (pid $pid) to reopen its log file"
}

stopped=no
for service in "${services[@]}"; do
  entry "$service" >/dev/null
  case $action in
    start) start "$service" ;;
    stop) stop "$service" ;;
    restart)
      if [[ $service == server ]] && primary_pid >/dev/null; then
        reload_server || exit 1
      else
        stop "$service"
        start "$service"
      fi
      ;;
    reload)
      [[ $service == server ]] || {
        echo "only the server reloads; restart the worker" >&2
        exit 2
      }
      reload_server || exit 1
      ;;
    reopen-logs) reopen_logs "$service" ;;
    status)
      if pid=$(running_pid "$service"); then
        echo "$service: running (pid $pid)"
      else
        echo "$service: stopped"
        stopped=yes
      fi
      ;;
    *)
      echo "unknown action $action (start, stop, restart, reload, status, reopen-logs)" >&2
      exit 2
      ;;
  esac
done
# status: 3 when a service named is stopped (as LSB's status), so a deploy's running_command can use it.
[[ $stopped == no ]] || exit 3
