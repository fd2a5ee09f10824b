#!/usr/bin/env bash
# Runs tandem's server and worker on a host without systemd, for the deploy's
# restart_command (docs/deploy.md):
#
#   bash current/deploy/service.sh restart [server] [worker]   (both by default)
#   bash current/deploy/service.sh stop|start|status [server] [worker]   (status exits 3 if one is stopped)
#
# Run from DEPLOY_TO (the deploy does). Each service's pid is in
# shared/<service>.pid and its output goes to shared/log/<service>.log. stop
# sends SIGTERM and waits for the process to finish its drain and in-flight
# work (STOP_TIMEOUT seconds, 60 by default: keep it above
# server.drain_delay_ms + server.shutdown_timeout_ms), then SIGKILL.
set -euo pipefail

D=${DEPLOY_TO:-$PWD}
STOP_TIMEOUT=${STOP_TIMEOUT:-60}
action=${1:?usage: service.sh start|stop|restart|status [server] [worker]}
shift
services=("$@")
[[ ${#services[@]} -gt 0 ]] || services=(server worker)

entry() {
  case $1 in
    server) echo dist/src/main.js ;;
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
  NODE_ENV=production setsid bash -c 'echo $$ >"$1"; cd "$2" && exec node --enable-source-maps "$3"' \
    service "$D/shared/$1.pid" "$D/current" "$script" </dev/null >>"$D/shared/log/$1.log" 2>&1 &
  for _ in $(seq 50); do
    [[ -s $D/shared/$1.pid ]] && break
    sleep 0.1
  done
  echo "started $1 (pid $(cat "$D/shared/$1.pid" 2>/dev/null || echo unknown)) from $(readlink "$D/current")"
}

stopped=no
for service in "${services[@]}"; do
  entry "$service" >/dev/null
  case $action in
    start) start "$service" ;;
    stop) stop "$service" ;;
    restart)
      stop "$service"
      start "$service"
      ;;
    status)
      if pid=$(running_pid "$service"); then
        echo "$service: running (pid $pid)"
      else
        echo "$service: stopped"
        stopped=yes
      fi
      ;;
    *)
      echo "unknown action $action (start, stop, restart, status)" >&2
      exit 2
      ;;
  esac
done
# status: 3 when a service named is stopped (as LSB's status), so a deploy's running_command can use it.
[[ $stopped == no ]] || exit 3
