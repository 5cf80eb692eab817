#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, runs vitest (extra arguments go to vitest), then — when run
# without arguments — the operator's suite against a real Kubernetes control plane built from source with Go
# (test/controlplane: minutes the first time, cached afterwards). KUBECDN_SKIP_K8S=1 skips that part.
source "$(dirname "$0")/lib.sh"
need_node
ensure_node_modules
ensure_redis
build
echo "==> vitest"
npx vitest run "$@"

if [ "$#" -gt 0 ] || [ "${KUBECDN_SKIP_K8S:-0}" = 1 ] || [ ! -f vitest.k8s.config.ts ]; then exit 0; fi
GO_BIN="$(command -v go || echo /usr/local/go/bin/go)"
if ! "$GO_BIN" version >/dev/null 2>&1; then
  echo "==> SKIPPED the real-API-server suite: no Go toolchain (>= 1.23) to build kube-apiserver with." >&2
  exit 0
fi
echo "==> building the Kubernetes control plane (cached in ${KUBECDN_K8S_CACHE:-$HOME/.cache/kubecdn-k8s})"
bash test/controlplane/build.sh >/dev/null
echo "==> vitest (operator against a real kube-apiserver)"
npx vitest run --config vitest.k8s.config.ts
