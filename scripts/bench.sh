#!/usr/bin/env bash
# npm run bench [-- --quick | --reference | --only hits,cold | --help]: kubecdn against nginx, Varnish and MinIO on
# this machine (docs/benchmarks.md). Installs what is missing (nginx, Varnish, wrk, redis-server from the OS packages;
# npm dependencies) and, when the minio section runs, MinIO (bench/minio-build.sh: built once from Go into
# ~/.cache, minutes the first time), builds, then runs the harness. Not part of npm test: it takes 10-15 minutes and
# its numbers depend on the machine.
source "$(dirname "$0")/lib.sh"
need_node
ensure_node_modules
ensure_redis
missing=()
[ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x /usr/sbin/varnishd ] || missing+=(varnish)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi
# wants_minio ARGS...: the minio section runs (no --only, or an --only that names it). The harness finds the binary
# through the same script (instant once built), so the pin lives in bench/minio-build.sh alone.
wants_minio() {
  local only=""
  while [ "$#" -gt 0 ]; do
    case "$1" in
      --only) only="${2:-}"; shift ;;
      --only=*) only="${1#--only=}" ;;
    esac
    shift
  done
  [ -z "$only" ] || [[ ",${only// /}," == *,minio,* ]]
}
if wants_minio "$@"; then bash "$ROOT/bench/minio-build.sh" >/dev/null; fi
build
exec node dist/bench/main.js "$@"
