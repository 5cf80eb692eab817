#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, runs vitest (extra arguments go to vitest).
source "$(dirname "$0")/lib.sh"
need_node
ensure_node_modules
ensure_redis
build
echo "==> vitest"
npx vitest run "$@"
