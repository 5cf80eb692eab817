#!/usr/bin/env bash
# End-to-end on a machine with Docker, kind, kubectl, helm and skaffold (not this repository's CI: it has no
# Docker engine). Creates the kind cluster, builds and deploys with skaffold (image + chart + example CdnCluster),
# waits for the example to be Ready, writes and reads a file through the client Service, scales down and checks
# the file is still served, then deletes the CdnCluster and checks that its objects are garbage-collected.
# KEEP=1 keeps the cluster afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
for tool in docker kind kubectl helm skaffold; do
  command -v "$tool" >/dev/null || { echo "e2e: $tool is required" >&2; exit 2; }
done
docker info >/dev/null 2>&1 || { echo "e2e: no Docker engine reachable" >&2; exit 2; }

CLUSTER=kubecdn-e2e
NS=kubecdn-system
cleanup() { [ "${KEEP:-0}" = 1 ] || kind delete cluster --name "$CLUSTER"; }
trap cleanup EXIT

kind get clusters | grep -qx "$CLUSTER" || kind create cluster --name "$CLUSTER" --config test/e2e/kind.yaml --wait 120s
kubectl config use-context "kind-$CLUSTER"
skaffold run --kube-context "kind-$CLUSTER" --load-images=true

echo "==> waiting for CdnCluster demo to be Ready"
kubectl -n "$NS" wait cdncluster/demo --for=condition=Ready --timeout=300s
kubectl -n "$NS" get cdncluster demo -o wide

TOKEN=$(kubectl -n "$NS" get secret demo-write-token -o jsonpath='{.data.token}' | base64 -d)
kubectl -n "$NS" port-forward svc/demo 18080:80 >/dev/null 2>&1 &
PF=$!
trap 'kill $PF 2>/dev/null || true; cleanup' EXIT
sleep 3
echo "==> write and read a file"
curl -fsS -X PUT -H "Authorization: Bearer $TOKEN" --data-binary 'hello from e2e' http://127.0.0.1:18080/files/e2e/hello.txt
test "$(curl -fsS http://127.0.0.1:18080/files/e2e/hello.txt)" = 'hello from e2e'

echo "==> scale down to 2 (one node at a time, after hand-off)"
kubectl -n "$NS" scale cdncluster/demo --replicas=2
kubectl -n "$NS" wait cdncluster/demo --for=jsonpath='{.status.replicas}'=2 --timeout=600s
kubectl -n "$NS" wait cdncluster/demo --for=condition=Ready --timeout=300s
kill $PF 2>/dev/null || true
kubectl -n "$NS" port-forward svc/demo 18080:80 >/dev/null 2>&1 &
PF=$!
sleep 3
test "$(curl -fsS http://127.0.0.1:18080/files/e2e/hello.txt)" = 'hello from e2e'

echo "==> delete: owned objects are garbage-collected"
kubectl -n "$NS" delete cdncluster demo --wait=true
for i in $(seq 1 60); do
  left=$(kubectl -n "$NS" get statefulset,service,configmap,secret -l kubecdn.io/cluster=demo -o name | wc -l)
  [ "$left" -eq 0 ] && { echo "e2e: passed"; exit 0; }
  sleep 2
done
echo "e2e: objects left after deleting the CdnCluster" >&2
kubectl -n "$NS" get all -l kubecdn.io/cluster=demo >&2
exit 1
