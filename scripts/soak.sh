#!/usr/bin/env bash
# npm run soak [-- --minutes N | --seconds N | --workers N | --help]: a bounded soak run against a 3-node cluster on
# loopback (docs/soak.md). Installs what is missing (redis-server; npm dependencies), builds, then runs. Not part of
# npm test: it takes as long as asked (5 minutes by default) and its memory figures depend on the machine.
source "$(dirname "$0")/lib.sh"
need_node
ensure_node_modules
ensure_redis
build
exec node dist/bench/soak.js "$@"
