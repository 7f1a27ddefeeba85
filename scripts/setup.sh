#!/usr/bin/env bash
# One command from a fresh Debian 12 machine (as root) to a running Berth: installs and
# builds (install.sh), starts berthd in the background unless one already answers,
# bootstraps a busybox image from the host's busybox-static, and runs a first container.
set -euo pipefail

root="$(cd -- "$(dirname -- "$(readlink -f -- "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$root"

step="start"
trap 'echo "setup.sh: FAILED during step: $step" >&2' ERR
log() { echo "setup.sh: $*"; }

socket=/run/berth/berth.sock
berth="$root/bin/berth"
berthd="$root/bin/berthd"

step="install (scripts/install.sh)"
bash "$root/scripts/install.sh"

step="start berthd"
if "$berth" version >/dev/null 2>&1; then
  log "a daemon already answers on $socket"
else
  log "starting berthd (log: /var/log/berthd.log)"
  setsid nohup "$berthd" --log-level info >/var/log/berthd.log 2>&1 </dev/null &
  daemon_pid=$!
  step="wait for berthd on $socket"
  for ((i = 0; i < 40; i++)); do
    if "$berth" version >/dev/null 2>&1; then break; fi
    if ! kill -0 "$daemon_pid" 2>/dev/null; then
      echo "setup.sh: berthd exited during startup; last lines of /var/log/berthd.log:" >&2
      tail -n 20 /var/log/berthd.log >&2 || true
      exit 1
    fi
    sleep 0.5
  done
  if ! "$berth" version >/dev/null 2>&1; then
    echo "setup.sh: berthd did not answer on $socket within 20 s; see /var/log/berthd.log" >&2
    tail -n 20 /var/log/berthd.log >&2 || true
    exit 1
  fi
  log "berthd is up (pid $daemon_pid)"
fi

step="berth version"
"$berth" version

step="berth image bootstrap busybox"
if "$berth" image inspect busybox >/dev/null 2>&1; then
  log "image busybox already present"
else
  "$berth" image bootstrap busybox
fi

step="berth images"
"$berth" images

step="berth run --rm busybox"
# `berth run --help` exits 0 even without a run command (it prints the top-level help), so
# look for run's own usage line.
run_help="$("$berth" run --help 2>/dev/null || true)"
if [[ "$run_help" == "Usage: berth run"* ]]; then
  "$berth" run --rm busybox echo "hello from a berth container"
else
  log "note: this build of berth has no 'run' command yet; skipping the first container"
fi

step="done"
cat <<EOF

Berth is running. Use it with:
  berth ps -a                       # the berth CLI (also $root/bin/berth)
  export DOCKER_HOST=unix://$socket
  docker run --rm busybox echo hi   # the real docker CLI, if installed
Daemon log: /var/log/berthd.log
EOF
