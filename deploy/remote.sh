#!/usr/bin/env bash
# The host side of `npm run deploy`: sent over ssh on standard input for each
# step (`ssh HOST bash -s -- COMMAND DEPLOY_TO ARGS...`), so a host needs
# nothing of ours installed beforehand, only bash, coreutils, node and npm.
#
# Layout under DEPLOY_TO (Capistrano's):
#   releases/<time>-<sha>/   one directory a release, the newest N kept
#   current -> releases/...  the release that runs, switched by rename()
#   shared/config.ts         the host's own configuration (secrets stay here)
#   shared/log/              logs of hosts without systemd (deploy/service.sh)
#   shared/npm-cache/        npm's cache, shared by the releases' installs
#   deploys.log              one JSON line per deploy and rollback, appended
#   .deploy.lock/            held by a running deploy (owner file inside)
set -euo pipefail

command=${1:?command}
D=${2:?deploy_to}
shift 2

fail() {
  echo "$*" >&2
  exit 1
}

release_dir() {
  [[ $1 =~ ^[0-9]{8}T[0-9]{6}Z-[0-9a-f]+$ ]] || fail "\"$1\" is not a release name (<time>-<sha>)."
  echo "$D/releases/$1"
}

current_release() {
  if [[ -L $D/current ]]; then basename "$(readlink "$D/current")"; fi
}

case $command in
  setup-dirs)
    mkdir -p "$D/releases" "$D/shared/log" "$D/shared/npm-cache" "$D/shared/setup"
    ;;

  setup)
    # setup DEPLOY_TO ENV: shared/config.ts from the uploaded example if there is none yet.
    env_name=${1:?env}
    if [[ -e $D/shared/config.ts ]]; then
      echo "kept the existing $D/shared/config.ts"
    else
      [[ -f $D/shared/setup/config.example.ts ]] || fail "config.example.ts was not uploaded to $D/shared/setup."
      sed -E "s/^const env = '[a-z]+' as Env;/const env = '$env_name' as Env;/" \
        "$D/shared/setup/config.example.ts" >"$D/shared/config.ts"
      chmod 600 "$D/shared/config.ts"
      echo "wrote $D/shared/config.ts for $env_name: edit it for this host (addresses, passwords) before the first deploy"
    fi
    touch "$D/deploys.log"
    ;;

  install-units)
    # install-units DEPLOY_TO USER: the systemd units, with this host's paths, enabled (not started).
    user=${1:?user}
    command -v systemctl >/dev/null || fail "systemctl is not on this host; set restart_command (see docs/deploy.md)."
    sudo=""
    [[ $(id -u) == 0 ]] || sudo="sudo -n"
    for unit in "$D"/shared/setup/systemd/*.service; do
      name=$(basename "$unit")
      sed -e "s#@DEPLOY_TO@#$D#g" -e "s#@USER@#$user#g" -e "s#@NODE@#$(command -v node)#g" "$unit" |
        $sudo tee "/etc/systemd/system/$name" >/dev/null
      echo "installed /etc/systemd/system/$name"
    done
    $sudo systemctl daemon-reload
    $sudo systemctl enable tandem-server.service tandem-worker.service
    ;;

  lock)
    # lock DEPLOY_TO OWNER BREAK: mkdir is atomic, so of two deploys exactly one gets it.
    owner=${1:?owner}
    break_it=${2:-no}
    [[ -d $D/releases ]] || fail "$D is not set up on this host; run: npm run deploy -- ENV setup"
    if [[ $break_it == yes && -d $D/.deploy.lock ]]; then
      echo "broke the lock held by: $(cat "$D/.deploy.lock/owner" 2>/dev/null || echo unknown)"
      rm -rf "$D/.deploy.lock"
    fi
    if mkdir "$D/.deploy.lock" 2>/dev/null; then
      printf '%s\n' "$owner" >"$D/.deploy.lock/owner"
    else
      echo "locked by: $(cat "$D/.deploy.lock/owner" 2>/dev/null || echo unknown)" >&2
      exit 75
    fi
    ;;

  unlock)
    # unlock DEPLOY_TO OWNER: only the owner's lock (a broken and retaken lock is not ours to drop).
    owner=${1:?owner}
    if [[ -d $D/.deploy.lock ]] && [[ $(cat "$D/.deploy.lock/owner" 2>/dev/null) == "$owner" || $owner == any ]]; then
      rm -rf "$D/.deploy.lock"
    fi
    ;;

  prepare)
    # prepare DEPLOY_TO RELEASE: check the host is set up; print the current release (for rsync's --link-dest).
    dir=$(release_dir "${1:?release}")
    [[ -f $D/shared/config.ts ]] || fail "$D/shared/config.ts is missing on this host; run setup and fill it in."
    command -v node >/dev/null || fail "node is not on this host's PATH."
    mkdir -p "$dir"
    current_release
    ;;

  install)
    # install DEPLOY_TO RELEASE NPM_CACHE [NPM_FLAGS...]: link the host config, install production dependencies.
    dir=$(release_dir "${1:?release}")
    cache=${2:-}
    shift 2 || shift $#
    [[ -n $cache ]] || cache="$D/shared/npm-cache"
    cd "$dir"
    ln -sfn "$D/shared/config.ts" config.ts
    rm -f .installed
    previous=$(current_release)
    prev_dir="$D/releases/$previous"
    # The same lock and patches as the running release: its installed tree is what npm ci would build.
    # Hard links make the copy cost no space; nothing writes into an installed node_modules.
    if [[ -n $previous && -d $prev_dir/node_modules && -f $prev_dir/.installed ]] &&
      cmp -s package-lock.json "$prev_dir/package-lock.json" &&
      diff -r -q patches "$prev_dir/patches" >/dev/null 2>&1; then
      rm -rf node_modules
      cp -al "$prev_dir/node_modules" node_modules
      echo "dependencies: the lock is unchanged since $previous; reused its node_modules"
    else
      # postinstall runs patch-package (a production dependency) on the fresh tree.
      npm ci --omit=dev --no-audit --no-fund --cache "$cache" "$@" 2>&1 | tail -n 5
      [[ ${PIPESTATUS[0]} == 0 ]] || fail "npm ci failed in $dir (see above)."
    fi
    touch .installed
    ;;

  migrate)
    # migrate DEPLOY_TO RELEASE: the new release's migrations, with the host's config.
    dir=$(release_dir "${1:?release}")
    [[ -f $dir/.installed ]] || fail "release ${1} is not installed on this host."
    cd "$dir"
    node dist/scripts/run.js dist/scripts/migrate.js up
    ;;

  activate)
    # activate DEPLOY_TO RELEASE RESTART_COMMAND: switch current atomically, then restart the services.
    release=${1:?release}
    restart=${2:?restart command}
    dir=$(release_dir "$release")
    [[ -f $dir/.installed ]] || fail "release $release is not installed on this host."
    previous=$(current_release)
    ln -sfn "releases/$release" "$D/current.next"
    mv -T "$D/current.next" "$D/current"
    echo "current: ${previous:-none} -> $release"
    cd "$D"
    DEPLOY_TO=$D RELEASE=$release bash -c "$restart" </dev/null
    ;;

  health)
    # health DEPLOY_TO RELEASE URL TIMEOUT_MS [RUNNING_COMMAND]: wait for 200 from URL naming RELEASE (URL - :
    # no health URL, a worker-only host: RUNNING_COMMAND must keep passing for 5 s); print
    # the last answer. RUNNING_COMMAND (run in DEPLOY_TO) exits non-zero once the server has died: the wait
    # ends then, rather than after TIMEOUT_MS for a process that will never answer.
    release=${1:?release}
    url=${2:?url}
    timeout_ms=${3:?timeout}
    running=${4:-}
    cd "$D"
    DEPLOY_TO=$D exec node -e '
      const { spawnSync } = require("node:child_process");
      const [release, url, timeoutMs, running] = process.argv.slice(1);
      const deadline = Date.now() + Number(timeoutMs);
      let last = "no answer yet";
      (async () => {
        if (url === "-") {
          // No health URL (a worker-only host): the gate is that the process keeps running for a while.
          if (!running) { console.log("no health URL and no running check: not gated"); return 0; }
          const settleMs = Math.min(5000, Number(timeoutMs));
          const settled = Date.now() + settleMs;
          while (Date.now() < settled) {
            const check = spawnSync("bash", ["-c", running], { stdio: "ignore", timeout: 5000 });
            if (!check.error && check.status !== 0) {
              console.error(`the process is not running on ${release} (${running}: exit ${check.status ?? check.signal})`);
              return 1;
            }
            await new Promise((r) => setTimeout(r, 300));
          }
          console.log(`running for ${settleMs} ms (no health URL)`);
          return 0;
        }
        while (Date.now() < deadline) {
          try {
            const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
            const body = await res.json().catch(() => ({}));
            const data = body.data ?? {};
            last = `HTTP ${res.status}, status ${data.status ?? "?"}, release ${data.release ?? "?"}`;
            if (res.status === 200 && data.release === release) { console.log(last); return 0; }
          } catch (err) {
            last = `no answer: ${err.cause?.code ?? err.message}`;
          }
          if (running) {
            // A check that could not run or did not finish (check.error) says nothing either way.
            const check = spawnSync("bash", ["-c", running], { stdio: "ignore", timeout: 5000 });
            if (!check.error && check.status !== 0) {
              console.error(`the server is not running on ${release} (${running}: exit ${check.status ?? check.signal}); last: ${last}`);
              return 1;
            }
          }
          await new Promise((r) => setTimeout(r, 300));
        }
        console.error(`not healthy on ${release} within ${timeoutMs} ms; last: ${last}`);
        return 1;
      })().then((code) => process.exit(code));
    ' "$release" "$url" "$timeout_ms" "$running"
    ;;

  record)
    # record DEPLOY_TO JSON_LINE: append-only history of deploys and rollbacks.
    printf '%s\n' "${1:?line}" >>"$D/deploys.log"
    ;;

  logs)
    # logs DEPLOY_TO LOG_COMMAND: the tail of the service's log, for a failure report.
    cd "$D"
    DEPLOY_TO=$D bash -c "${1:?log command}" 2>&1 || true
    ;;

  prune)
    # prune DEPLOY_TO KEEP: remove the oldest releases beyond KEEP, never the current one.
    keep=${1:?keep}
    current=$(current_release)
    mapfile -t all < <(ls -1 "$D/releases" | sort -r)
    for ((i = keep; i < ${#all[@]}; i++)); do
      r=${all[$i]}
      [[ $r == "$current" ]] && continue
      rm -rf "${D:?}/releases/$r"
      echo "removed $r"
    done
    ;;

  status)
    # status DEPLOY_TO URL: one JSON object (current, releases, lock, last records, health); URL - : no health.
    url=${1:?url}
    current=$(current_release)
    releases=$(ls -1 "$D/releases" 2>/dev/null | sort -r | tr '\n' ' ')
    lock=$(cat "$D/.deploy.lock/owner" 2>/dev/null || true)
    records=$(tail -n 50 "$D/deploys.log" 2>/dev/null || true)
    exec node -e '
      const [current, releases, lock, records, url] = process.argv.slice(1);
      (async () => {
        let health = {};
        if (url !== "-") try {
          const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
          const body = await res.json().catch(() => ({}));
          health = { http: res.status, status: body.data?.status, release: body.data?.release };
        } catch (err) {
          health = { error: err.cause?.code ?? err.message };
        }
        const parsed = records.split("\n").filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return { line: l }; } });
        console.log(JSON.stringify({ current: current || null, releases: releases.split(" ").filter(Boolean), lock: lock || null, records: parsed, health }));
      })();
    ' "$current" "$releases" "$lock" "$records" "$url"
    ;;

  *)
    fail "unknown command $command"
    ;;
esac
