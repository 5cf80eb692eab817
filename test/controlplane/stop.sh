#!/usr/bin/env bash
# stop.sh DIR - stop the control plane started by start.sh DIR and remove DIR.
# Only pids recorded in DIR/*.pid are signalled, and only if their command
# line still mentions DIR (guards against pid reuse). Safe to run twice.
# KUBECDN_KEEP_STATE=1 keeps DIR (logs, etcd data) for debugging.
set -uo pipefail

log() { echo "[controlplane/stop] $*" >&2; }
[ $# -eq 1 ] || { log "usage: $0 DIR"; exit 2; }
[ -d "$1" ] || exit 0
DIR="$(cd "$1" && pwd)"
if [ ! -e "$DIR/.kubecdn-controlplane" ]; then
  log "$DIR is not a kubecdn control-plane dir (no .kubecdn-controlplane marker); refusing"
  exit 1
fi

# pid_ok NAME -> prints pid if the process is alive and belongs to this DIR
pid_ok() {
  local f="$DIR/$1.pid" pid
  [ -f "$f" ] || return 1
  pid="$(cat "$f")"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ "$pid" != "$$" ] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$DIR" || return 1
  echo "$pid"
}

# term_wait NAME... : SIGTERM those components together, wait up to 10s for
# them to exit, SIGKILL whatever is left.
term_wait() {
  local name pid np pids=() alive
  for name in "$@"; do
    if pid="$(pid_ok "$name")"; then
      kill -TERM "$pid" 2>/dev/null && pids+=("$name:$pid")
    fi
    rm -f "$DIR/$name.pid"
  done
  [ ${#pids[@]} -gt 0 ] || return 0
  for _ in $(seq 1 100); do
    alive=0
    for np in "${pids[@]}"; do kill -0 "${np#*:}" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && return 0
    sleep 0.1
  done
  for np in "${pids[@]}"; do
    if kill -0 "${np#*:}" 2>/dev/null; then
      log "${np%%:*} (${np#*:}) did not exit on TERM within 10s; killing"
      kill -KILL "${np#*:}" 2>/dev/null
      for _ in $(seq 1 50); do kill -0 "${np#*:}" 2>/dev/null || break; sleep 0.1; done
    fi
  done
}

# Watchdog first (so it does not race us), then the API clients and the
# apiserver together, and etcd last (the apiserver's shutdown still talks to it).
term_wait watchdog
term_wait kwok kube-scheduler kube-controller-manager kube-apiserver
term_wait etcd

if [ "${KUBECDN_KEEP_STATE:-0}" = 1 ]; then
  log "stopped; state kept in $DIR"
else
  rm -rf "$DIR"
  log "stopped; removed $DIR"
fi
