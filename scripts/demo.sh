#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and runs kubecdn with its Redis on this machine.
source "$(dirname "$0")/lib.sh"
need_node
ensure_node_modules
ensure_redis
build
exec node dist/scripts/demo.js "$@"
