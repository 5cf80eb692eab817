#!/usr/bin/env bash
# npm run bench [-- --quick | --reference | --only hits,cold | --help]: kubecdn against nginx and Varnish on this
# machine (docs/benchmarks.md). Installs what is missing (nginx, Varnish, wrk, redis-server from the OS packages;
# npm dependencies), builds, then runs the harness. Not part of npm test: it takes 10-15 minutes and its numbers
# depend on the machine.
source "$(dirname "$0")/lib.sh"
need_node
ensure_node_modules
ensure_redis
missing=()
[ -x /usr/sbin/nginx ] || missing+=(nginx)
[ -x /usr/sbin/varnishd ] || missing+=(varnish)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi
build
exec node dist/bench/main.js "$@"
