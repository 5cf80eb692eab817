#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds, runs vitest (extra arguments go to vitest), then — when run
# without arguments — the operator's suite against a real Kubernetes control plane built from source with Go
# (test/controlplane: minutes the first time, cached afterwards) and the end-to-end suite on a real one-node cluster
# (test/cluster: containerd, kubelet, Traefik, Prometheus; the images built without Docker). KUBECDN_SKIP_K8S=1 skips
# both; KUBECDN_SKIP_E2E=1 skips the second.
source "$(dirname "$0")/lib.sh"
need_node
ensure_node_modules
ensure_redis
ensure_promtool
ensure_chromium
ensure_zsh
# the API fuzzer of test/integration/schemathesis.test.ts (that test skips, saying so, when there is no python3)
ensure_schemathesis
build

K8S=1
GO_BIN="$(command -v go || echo /usr/local/go/bin/go)"
if [ "$#" -gt 0 ] || [ "${KUBECDN_SKIP_K8S:-0}" = 1 ]; then
  K8S=0
elif ! "$GO_BIN" version >/dev/null 2>&1; then
  K8S=0
  echo "==> SKIPPED the real-API-server and real-cluster suites: no Go toolchain (>= 1.23) to build Kubernetes with." >&2
fi
if [ "$K8S" = 1 ]; then
  # Built before the first vitest run: the chart tests there need helm, which this builds.
  echo "==> building the Kubernetes control plane and helm (cached in ${KUBECDN_K8S_CACHE:-$HOME/.cache/kubecdn-k8s})"
  KUBECDN_HELM="$(bash test/controlplane/build.sh | tail -n1)/helm"
  export KUBECDN_HELM
fi

echo "==> vitest"
npx vitest run "$@"
[ "$K8S" = 1 ] || exit 0

echo "==> vitest (operator against a real kube-apiserver)"
npx vitest run --config vitest.k8s.config.ts

[ "${KUBECDN_SKIP_E2E:-0}" = 1 ] && { echo "==> SKIPPED the end-to-end suite: KUBECDN_SKIP_E2E=1" >&2; exit 0; }
if ! why="$(ensure_cluster_tools)"; then
  echo "==> SKIPPED the end-to-end suite on a real cluster: $why" >&2
  exit 0
fi
echo "==> building the one-node cluster's binaries and images (cached)"
bash test/cluster/build.sh >/dev/null
bash test/cluster/images.sh build >/dev/null
echo "==> vitest (end to end: helm install, a CdnCluster, files through the Ingress, on real pods)"
npx vitest run --config vitest.e2e.config.ts
