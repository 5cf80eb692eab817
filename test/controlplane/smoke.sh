#!/usr/bin/env bash
# smoke.sh - build (if needed), start a control plane in a temp dir, exercise it,
# stop it and clean up. Exits non-zero on any failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KUBECTL="${KUBECTL:-kubectl}"
passed=0

log() { echo "[controlplane/smoke] $*" >&2; }
ok() { passed=$((passed + 1)); log "PASS: $*"; }
fail() { log "FAIL: $*"; echo "smoke: $passed passed, 1 failed"; exit 1; }

command -v "$KUBECTL" >/dev/null || fail "kubectl not found"

BIN="$("$HERE/build.sh" | tail -n1)"
ok "binaries present in $BIN"

DIR="$(mktemp -d "${TMPDIR:-/tmp}/kubecdn-cp-smoke.XXXXXX")"
cleanup() { "$HERE/stop.sh" "$DIR" || true; }
trap cleanup EXIT

t0=$SECONDS
KCFG="$(KUBECDN_K8S_BIN="$BIN" "$HERE/start.sh" "$DIR" | tail -n1)"
[ -f "$KCFG" ] || fail "start.sh did not print a kubeconfig path"
ok "control plane started in $((SECONDS - t0))s ($KCFG)"

k() { "$KUBECTL" --kubeconfig "$KCFG" "$@"; }

# Only loopback listeners.
for pidf in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
  [ -f "$DIR/$pidf.pid" ] || continue
  pid="$(cat "$DIR/$pidf.pid")"
  if command -v ss >/dev/null 2>&1; then
    bad="$(ss -Hltnp 2>/dev/null | grep "pid=$pid," | awk '{print $4}' | grep -v '^127\.0\.0\.1:' || true)"
    [ -z "$bad" ] || fail "$pidf listens on non-loopback address(es): $bad"
  fi
done
ok "all components listen on 127.0.0.1 only"

k version >&2 || fail "kubectl version"
k get ns || fail "kubectl get ns"
k get ns kube-system default >/dev/null || fail "default namespaces missing"
ok "kubectl get ns"

# ---- CRD with a CEL validation rule and a scale subresource
k apply -f - <<'EOF' || fail "apply CRD"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.smoke.kubecdn.io
spec:
  group: smoke.kubecdn.io
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [replicas, minReplicas]
            x-kubernetes-validations:
            - rule: "self.replicas >= self.minReplicas"
              message: "replicas must be >= minReplicas"
            properties:
              replicas: {type: integer}
              minReplicas: {type: integer}
          status:
            type: object
            properties:
              replicas: {type: integer}
EOF
k wait --for condition=Established --timeout=60s crd/widgets.smoke.kubecdn.io || fail "CRD not established"
ok "CRD with CEL rule + scale subresource established"

k apply -f - <<'EOF' || fail "create valid Widget"
apiVersion: smoke.kubecdn.io/v1
kind: Widget
metadata: {name: good, namespace: default}
spec: {replicas: 2, minReplicas: 1}
EOF
ok "valid Widget accepted"

if out="$(k apply -f - 2>&1 <<'EOF'
apiVersion: smoke.kubecdn.io/v1
kind: Widget
metadata: {name: bad, namespace: default}
spec: {replicas: 1, minReplicas: 3}
EOF
)"; then
  fail "invalid Widget was accepted: $out"
fi
echo "$out" >&2
grep -q "replicas must be >= minReplicas" <<<"$out" || fail "invalid Widget rejected, but not by the CEL rule: $out"
ok "invalid Widget rejected by CEL rule"

k scale widget/good -n default --replicas=5 >&2 || fail "scale subresource"
[ "$(k get widget good -n default -o jsonpath='{.spec.replicas}')" = 5 ] || fail "scale did not update spec.replicas"
# Scaling through /scale must also go through CEL: 0 < minReplicas(1).
if k scale widget/good -n default --replicas=0 >/dev/null 2>&1; then fail "scale to 0 bypassed the CEL rule"; fi
ok "scale subresource works (and is CEL-validated)"

# ---- garbage collection by kube-controller-manager
k create configmap gc-parent -n default --from-literal=a=b >&2 || fail "create parent"
PUID="$(k get configmap gc-parent -n default -o jsonpath='{.metadata.uid}')"
k apply -f - <<EOF || fail "create child"
apiVersion: v1
kind: ConfigMap
metadata:
  name: gc-child
  namespace: default
  ownerReferences:
  - apiVersion: v1
    kind: ConfigMap
    name: gc-parent
    uid: $PUID
data: {c: d}
EOF
k get configmap gc-child -n default >/dev/null || fail "child missing"
k delete configmap gc-parent -n default --wait=true >&2 || fail "delete parent"
gone=0
for _ in $(seq 1 120); do
  if ! k get configmap gc-child -n default >/dev/null 2>&1; then gone=1; break; fi
  sleep 0.5
done
[ $gone = 1 ] || fail "child ConfigMap was not garbage-collected within 60s"
ok "owned ConfigMap garbage-collected after parent deletion"

# ---- scheduling + kwok: StatefulSet pods become Ready without a kubelet
if grep -q '^KUBECDN_KWOK=1$' "$DIR/env"; then
  k get nodes -o wide >&2
  k apply -f - <<'EOF' || fail "create StatefulSet"
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  serviceName: web
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.invalid/never-pulled:1
        readinessProbe: {httpGet: {path: /, port: 80}}
EOF
  k rollout status statefulset/web -n default --timeout=90s >&2 || fail "StatefulSet did not become ready"
  [ "$(k get sts web -n default -o jsonpath='{.status.readyReplicas}')" = 2 ] || fail "StatefulSet readyReplicas != 2"
  k get pods -n default -o wide >&2
  k delete statefulset web -n default --wait=true >&2 || fail "delete StatefulSet"
  for _ in $(seq 1 120); do
    [ -z "$(k get pods -n default -l app=web -o name 2>/dev/null)" ] && break
    sleep 0.5
  done
  [ -z "$(k get pods -n default -l app=web -o name)" ] || fail "StatefulSet pods not removed"
  ok "StatefulSet scheduled onto kwok node, 2/2 Ready, pods GC'd after delete"
else
  log "kwok not running: skipping StatefulSet readiness check"
fi

# ---- helm
"$BIN/helm" version >&2 || fail "helm version"
CHART="$DIR/smoke-chart"
mkdir -p "$CHART/templates"
cat >"$CHART/Chart.yaml" <<'EOF'
apiVersion: v2
name: smoke
version: 0.1.0
kubeVersion: ">=1.32.0-0 <1.33.0-0"
EOF
cat >"$CHART/templates/cm.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-cm
data:
  hello: {{ .Values.hello | default "world" | quote }}
EOF
"$BIN/helm" --kubeconfig "$KCFG" install smoke "$CHART" -n default --wait --timeout 60s >&2 || fail "helm install"
[ "$(k get configmap smoke-cm -n default -o jsonpath='{.data.hello}')" = world ] || fail "helm-installed ConfigMap missing"
"$BIN/helm" --kubeconfig "$KCFG" uninstall smoke -n default >&2 || fail "helm uninstall"
ok "helm version / install / uninstall"

pids="$(cat "$DIR"/*.pid)"
trap - EXIT
"$HERE/stop.sh" "$DIR" || fail "stop.sh"
[ ! -e "$DIR" ] || fail "stop.sh left $DIR behind"
for pid in $pids; do
  if kill -0 "$pid" 2>/dev/null; then fail "process $pid still running after stop.sh"; fi
done
ok "stopped and cleaned up"
echo "smoke: $passed passed, 0 failed"
