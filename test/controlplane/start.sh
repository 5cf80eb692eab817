#!/usr/bin/env bash
# start.sh DIR - start a local Kubernetes control plane (etcd, kube-apiserver,
# kube-controller-manager) with all state, logs, certs and pid files in DIR.
#
# Everything listens on 127.0.0.1 only, on free ports picked at start.
# On success prints the kubeconfig path (DIR/kubeconfig) as the last line of
# stdout and exits 0, leaving the daemons running (detached, own sessions).
# Also writes DIR/env (shell-sourceable: KUBECONFIG, KUBECDN_API_URL,
# KUBECDN_API_TOKEN, ports, pids). Stop with: stop.sh DIR
#
# Env:
#   KUBECDN_K8S_BIN          use binaries from this dir instead of calling build.sh
#   KUBECDN_CP_OWNER_PID     if set, a watchdog runs stop.sh DIR once this pid exits
#                            (so a crashed test runner does not leak the control plane)
#   KUBECDN_CP_TIMEOUT       seconds to wait for readiness (default 120)
#   KUBECDN_CP_WAIT_SA       wait for the "default" ServiceAccount (proves the
#                            controller-manager is working); default 1, set 0 to skip
#   KUBECDN_CP_KWOK          1: also run kube-scheduler + kwok with fake node(s), so
#                            pods get scheduled and report Running/Ready without a
#                            kubelet; 0: don't. Default: 1 when both binaries exist.
#   KUBECDN_CP_KWOK_NODES    number of fake nodes (default 1): kwok-node-0, -1, ...
#   KUBECDN_CP_ADDR          the apiserver's address (default 127.0.0.1). test/cluster runs this script inside its
#                            network namespace with the namespace's own address, which pods and the host both reach
#   KUBECDN_CP_SCHEDULER     1: run kube-scheduler even without kwok (a real kubelet's node needs it)
#   KUBECDN_CP_API_PORT      the apiserver's port (default: a free one). test/cluster gives 6443, the port a real
#                            cluster's pods meet, which the chart's operator NetworkPolicy admits
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { echo "[controlplane/start] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ $# -eq 1 ] || die "usage: $0 DIR"
mkdir -p "$1"
DIR="$(cd "$1" && pwd)"
[ -e "$DIR/kube-apiserver.pid" ] && die "$DIR already holds a control plane (run stop.sh first)"
TIMEOUT="${KUBECDN_CP_TIMEOUT:-120}"
ADDR="${KUBECDN_CP_ADDR:-127.0.0.1}"

if [ -n "${KUBECDN_K8S_BIN:-}" ]; then
  BIN="$KUBECDN_K8S_BIN"
else
  BIN="$("$HERE/build.sh" | tail -n1)"
fi
for b in etcd kube-apiserver kube-controller-manager; do
  [ -x "$BIN/$b" ] || die "missing $BIN/$b (run build.sh)"
done
if [ -z "${KUBECDN_CP_KWOK:-}" ]; then
  if [ -x "$BIN/kwok" ] && [ -x "$BIN/kube-scheduler" ]; then KUBECDN_CP_KWOK=1; else KUBECDN_CP_KWOK=0; fi
fi
if [ "$KUBECDN_CP_KWOK" = 1 ]; then
  for b in kube-scheduler kwok; do
    [ -x "$BIN/$b" ] || die "missing $BIN/$b (run build.sh with KUBECDN_WITH_KWOK=1)"
  done
fi

touch "$DIR/.kubecdn-controlplane"          # marker: stop.sh only deletes dirs holding it
mkdir -p "$DIR/pki" "$DIR/logs" "$DIR/etcd-data"
chmod 700 "$DIR/pki" "$DIR/etcd-data"

# On any failure from here on, tear down what was started.
started=0
cleanup_on_error() {
  local rc=$?
  if [ $rc -ne 0 ] && [ $started -eq 1 ]; then
    log "start failed (rc=$rc); last log lines:"
    for f in "$DIR"/logs/*.log; do
      [ -f "$f" ] || continue
      echo "----- $f" >&2; tail -n 25 "$f" >&2
    done
    KUBECDN_KEEP_STATE=1 "$HERE/stop.sh" "$DIR" >&2 || true
  fi
}
trap cleanup_on_error EXIT

# ------------------------------------------------------------- free ports
# Random ports below the Linux ephemeral range (32768+), so they cannot clash
# with outgoing connections; skip ones something is already listening on.
declare -A used_ports=()
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
  local p i
  for i in $(seq 1 200); do
    p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
    [ -n "${used_ports[$p]:-}" ] && continue
    if command -v ss >/dev/null 2>&1 && ss -Htan "( sport = :$p )" 2>/dev/null | grep -q .; then continue; fi
    port_in_use "$p" && continue
    used_ports[$p]=1
    echo "$p"; return 0
  done
  die "could not find a free port"
}

# ------------------------------------------------------------------- certs
PKI="$DIR/pki"
openssl_q() { openssl "$@" >/dev/null 2>&1 || { openssl "$@" >&2; die "openssl $1 failed"; }; }
openssl_q req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
  -keyout "$PKI/ca.key" -out "$PKI/ca.crt" -subj "/CN=kubecdn-test-ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"
cat >"$PKI/apiserver.ext" <<EOF
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:${ADDR},IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
EOF
openssl_q req -newkey rsa:2048 -nodes -sha256 -keyout "$PKI/apiserver.key" \
  -out "$PKI/apiserver.csr" -subj "/CN=kube-apiserver"
openssl_q x509 -req -in "$PKI/apiserver.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
  -CAcreateserial -days 3650 -sha256 -extfile "$PKI/apiserver.ext" -out "$PKI/apiserver.crt"
# Front-proxy (aggregation layer) client cert, so requestheader auth and
# aggregated APIs work like in a real cluster.
openssl_q req -newkey rsa:2048 -nodes -sha256 -keyout "$PKI/front-proxy-client.key" \
  -out "$PKI/front-proxy-client.csr" -subj "/CN=front-proxy-client"
printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >"$PKI/client.ext"
openssl_q x509 -req -in "$PKI/front-proxy-client.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
  -CAcreateserial -days 3650 -sha256 -extfile "$PKI/client.ext" -out "$PKI/front-proxy-client.crt"
# The apiserver's client certificate towards kubelets (logs, exec, port-forward), as kubeadm makes it.
openssl_q req -newkey rsa:2048 -nodes -sha256 -keyout "$PKI/apiserver-kubelet-client.key" \
  -out "$PKI/apiserver-kubelet-client.csr" -subj "/O=system:masters/CN=kube-apiserver-kubelet-client"
openssl_q x509 -req -in "$PKI/apiserver-kubelet-client.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
  -CAcreateserial -days 3650 -sha256 -extfile "$PKI/client.ext" -out "$PKI/apiserver-kubelet-client.crt"
# Service-account token signing key pair.
openssl_q genrsa -out "$PKI/sa.key" 2048
openssl_q rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub"

# Static token auth: admin (system:masters) and the controller-manager identity
# (bound by the default RBAC bootstrap policy to system:kube-controller-manager).
# kube-scheduler likewise; kwok (a fake kubelet for every fake node) gets admin.
ADMIN_TOKEN="$(openssl rand -hex 24)"
KCM_TOKEN="$(openssl rand -hex 24)"
SCHED_TOKEN="$(openssl rand -hex 24)"
KWOK_TOKEN="$(openssl rand -hex 24)"
NODE_TOKEN="$(openssl rand -hex 24)"
PROXY_TOKEN="$(openssl rand -hex 24)"
cat >"$PKI/tokens.csv" <<EOF
$ADMIN_TOKEN,kubecdn-admin,kubecdn-admin,"system:masters"
$KCM_TOKEN,system:kube-controller-manager,system:kube-controller-manager
$SCHED_TOKEN,system:kube-scheduler,system:kube-scheduler
$KWOK_TOKEN,kwok,kwok,"system:masters"
$NODE_TOKEN,system:node:kcdn-node,system:node:kcdn-node,"system:nodes"
$PROXY_TOKEN,system:kube-proxy,system:kube-proxy
EOF
chmod 600 "$PKI"/*.key "$PKI/tokens.csv"

write_kubeconfig() { # FILE TOKEN USER PORT
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kubecdn-test
  cluster:
    server: https://$ADDR:$4
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: $3
  user:
    token: $2
contexts:
- name: kubecdn-test
  context:
    cluster: kubecdn-test
    user: $3
current-context: kubecdn-test
EOF
  chmod 600 "$1"
}

# ----------------------------------------------------------------- helpers
# spawn NAME CMD... : start CMD detached (own session, no inherited stdio),
# logging to DIR/logs/NAME.log, pid in DIR/NAME.pid.
spawn() {
  local name="$1"; shift
  setsid "$@" </dev/null >>"$DIR/logs/$name.log" 2>&1 &
  echo $! >"$DIR/$name.pid"
  started=1
}
alive() { kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }

deadline=$((SECONDS + TIMEOUT))
wait_for() { # NAME DESCRIPTION CHECK-CMD...
  local name="$1" what="$2"; shift 2
  until "$@" >/dev/null 2>&1; do
    alive "$name" || return 2
    [ $SECONDS -lt $deadline ] || die "timed out after ${TIMEOUT}s waiting for $what"
    sleep 0.2
  done
}
addr_in_use_in_log() { grep -qiE 'address already in use' "$DIR/logs/$1.log" 2>/dev/null; }

# -------------------------------------------------------------------- etcd
for attempt in 1 2 3; do
  ETCD_PORT="$(pick_port)"; ETCD_PEER_PORT="$(pick_port)"
  spawn etcd "$BIN/etcd" \
    --name=kubecdn-test \
    --data-dir="$DIR/etcd-data" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="kubecdn-test=http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster-state=new \
    --snapshot-count=10000 \
    --quota-backend-bytes=2147483648 \
    --logger=zap \
    --log-level=warn
  rc=0
  wait_for etcd "etcd on 127.0.0.1:$ETCD_PORT" curl -fsS "http://127.0.0.1:$ETCD_PORT/health" || rc=$?
  [ $rc -eq 0 ] && break
  addr_in_use_in_log etcd && [ $attempt -lt 3 ] && { log "etcd port clash, retrying"; rm -rf "$DIR/etcd-data"/*; continue; }
  die "etcd exited early (see $DIR/logs/etcd.log)"
done
log "etcd ready on 127.0.0.1:$ETCD_PORT"

# ---------------------------------------------------------- kube-apiserver
for attempt in 1 2 3; do
  API_PORT="${KUBECDN_CP_API_PORT:-$(pick_port)}"
  write_kubeconfig "$DIR/kubeconfig" "$ADMIN_TOKEN" kubecdn-admin "$API_PORT"
  write_kubeconfig "$DIR/controller-manager.kubeconfig" "$KCM_TOKEN" system:kube-controller-manager "$API_PORT"
  write_kubeconfig "$DIR/scheduler.kubeconfig" "$SCHED_TOKEN" system:kube-scheduler "$API_PORT"
  write_kubeconfig "$DIR/kwok.kubeconfig" "$KWOK_TOKEN" kwok "$API_PORT"
  write_kubeconfig "$DIR/kubelet.kubeconfig" "$NODE_TOKEN" system:node:kcdn-node "$API_PORT"
  write_kubeconfig "$DIR/kube-proxy.kubeconfig" "$PROXY_TOKEN" system:kube-proxy "$API_PORT"
  spawn kube-apiserver "$BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address="$ADDR" \
    --advertise-address="$ADDR" \
    --secure-port="$API_PORT" \
    --cert-dir="$PKI" \
    --tls-cert-file="$PKI/apiserver.crt" \
    --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" \
    --token-auth-file="$PKI/tokens.csv" \
    --requestheader-client-ca-file="$PKI/ca.crt" \
    --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User \
    --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$PKI/front-proxy-client.crt" \
    --proxy-client-key-file="$PKI/front-proxy-client.key" \
    --authorization-mode=Node,RBAC \
    --enable-admission-plugins=NodeRestriction \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types=InternalIP \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" \
    --service-account-signing-key-file="$PKI/sa.key" \
    --api-audiences=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range=10.0.0.0/24 \
    --endpoint-reconciler-type="$([ "$ADDR" = 127.0.0.1 ] && echo none || echo lease)" \
    --allow-privileged=true \
    --profiling=false \
    --v=1
  rc=0
  wait_for kube-apiserver "kube-apiserver /readyz on 127.0.0.1:$API_PORT" \
    bash -c "curl -fsS --cacert '$PKI/ca.crt' -H 'Authorization: Bearer $ADMIN_TOKEN' 'https://$ADDR:$API_PORT/readyz' | grep -qx ok" || rc=$?
  [ $rc -eq 0 ] && break
  addr_in_use_in_log kube-apiserver && [ $attempt -lt 3 ] && { log "apiserver port clash, retrying"; rm -f "$DIR/kube-apiserver.pid"; continue; }
  die "kube-apiserver exited early (see $DIR/logs/kube-apiserver.log)"
done
log "kube-apiserver ready on https://$ADDR:$API_PORT"

# ------------------------------------------------- kube-controller-manager
for attempt in 1 2 3; do
  KCM_PORT="$(pick_port)"
  spawn kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig="$DIR/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$DIR/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$DIR/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 \
    --secure-port="$KCM_PORT" \
    --cert-dir="$PKI/kcm" \
    --leader-elect=false \
    --use-service-account-credentials=true \
    --service-account-private-key-file="$PKI/sa.key" \
    --root-ca-file="$PKI/ca.crt" \
    --cluster-signing-cert-file="$PKI/ca.crt" \
    --cluster-signing-key-file="$PKI/ca.key" \
    --service-cluster-ip-range=10.0.0.0/24 \
    --controllers='*' \
    --profiling=false \
    --v=1
  rc=0
  wait_for kube-controller-manager "kube-controller-manager /healthz on 127.0.0.1:$KCM_PORT" \
    bash -c "curl -kfsS 'https://127.0.0.1:$KCM_PORT/healthz' | grep -qx ok" || rc=$?
  [ $rc -eq 0 ] && break
  addr_in_use_in_log kube-controller-manager && [ $attempt -lt 3 ] && { log "controller-manager port clash, retrying"; rm -f "$DIR/kube-controller-manager.pid"; continue; }
  die "kube-controller-manager exited early (see $DIR/logs/kube-controller-manager.log)"
done
log "kube-controller-manager healthy on 127.0.0.1:$KCM_PORT"

if [ "${KUBECDN_CP_WAIT_SA:-1}" = 1 ]; then
  # The serviceaccount controller creating "default" proves the controller
  # manager is talking to the apiserver with working RBAC.
  wait_for kube-controller-manager "ServiceAccount default/default" \
    curl -fsS --cacert "$PKI/ca.crt" -H "Authorization: Bearer $ADMIN_TOKEN" \
    "https://$ADDR:$API_PORT/api/v1/namespaces/default/serviceaccounts/default"
fi

# ------------------------------------------------- kube-scheduler + kwok
SCHED_PORT=""
KWOK_NODES="${KUBECDN_CP_KWOK_NODES:-1}"
if [ "$KUBECDN_CP_KWOK" = 1 ] || [ "${KUBECDN_CP_SCHEDULER:-0}" = 1 ]; then
  for attempt in 1 2 3; do
    SCHED_PORT="$(pick_port)"
    spawn kube-scheduler "$BIN/kube-scheduler" \
      --kubeconfig="$DIR/scheduler.kubeconfig" \
      --authentication-kubeconfig="$DIR/scheduler.kubeconfig" \
      --authorization-kubeconfig="$DIR/scheduler.kubeconfig" \
      --bind-address=127.0.0.1 \
      --secure-port="$SCHED_PORT" \
      --cert-dir="$PKI/scheduler" \
      --leader-elect=false \
      --profiling=false \
      --v=1
    rc=0
    wait_for kube-scheduler "kube-scheduler /healthz on 127.0.0.1:$SCHED_PORT" \
      bash -c "curl -kfsS 'https://127.0.0.1:$SCHED_PORT/healthz' | grep -qx ok" || rc=$?
    [ $rc -eq 0 ] && break
    addr_in_use_in_log kube-scheduler && [ $attempt -lt 3 ] && { log "scheduler port clash, retrying"; rm -f "$DIR/kube-scheduler.pid"; continue; }
    die "kube-scheduler exited early (see $DIR/logs/kube-scheduler.log)"
  done
  log "kube-scheduler healthy on 127.0.0.1:$SCHED_PORT"
fi
if [ "$KUBECDN_CP_KWOK" = 1 ]; then

  # kwok with its built-in default stages (node-fast, pod-fast): managed nodes
  # turn Ready, pods bound to them go Running/Ready at once. It serves nothing
  # (no --server-address), so it opens no ports.
  printf '%s\n' 'apiVersion: config.kwok.x-k8s.io/v1alpha1' 'kind: KwokConfiguration' 'options: {}' >"$DIR/kwok.yaml"
  spawn kwok "$BIN/kwok" \
    --kubeconfig="$DIR/kwok.kubeconfig" \
    --config="$DIR/kwok.yaml" \
    --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --node-ip=127.0.0.1 \
    --node-lease-duration-seconds=40 \
    --cidr=10.244.0.1/16
  for i in $(seq 0 $((KWOK_NODES - 1))); do
    node_json='{"apiVersion":"v1","kind":"Node",
 "metadata":{"name":"kwok-node-'$i'",
   "annotations":{"kwok.x-k8s.io/node":"fake","node.alpha.kubernetes.io/ttl":"0"},
   "labels":{"type":"kwok","kubernetes.io/hostname":"kwok-node-'$i'","kubernetes.io/os":"linux","kubernetes.io/arch":"amd64"}},
 "status":{"allocatable":{"cpu":"32","memory":"256Gi","pods":"110"},
           "capacity":{"cpu":"32","memory":"256Gi","pods":"110"}}}'
    curl -fsS --cacert "$PKI/ca.crt" -H "Authorization: Bearer $ADMIN_TOKEN" \
      -H 'Content-Type: application/json' -X POST -d "$node_json" \
      "https://$ADDR:$API_PORT/api/v1/nodes" >/dev/null || die "creating fake node kwok-node-$i failed"
    wait_for kwok "fake node kwok-node-$i Ready" bash -c \
      "curl -fsS --cacert '$PKI/ca.crt' -H 'Authorization: Bearer $ADMIN_TOKEN' \
        'https://$ADDR:$API_PORT/api/v1/nodes/kwok-node-$i' | tr -d ' \n' | grep -q '\"type\":\"Ready\",\"status\":\"True\"'" ||
      die "kwok exited early (see $DIR/logs/kwok.log)"
  done
  log "kwok running; $KWOK_NODES fake node(s) Ready"
fi

cat >"$DIR/env" <<EOF
KUBECONFIG=$DIR/kubeconfig
KUBECDN_API_URL=https://$ADDR:$API_PORT
KUBECDN_API_TOKEN=$ADMIN_TOKEN
KUBECDN_API_CA_FILE=$PKI/ca.crt
KUBECDN_ETCD_URL=http://127.0.0.1:$ETCD_PORT
KUBECDN_KCM_PORT=$KCM_PORT
KUBECDN_K8S_BIN=$BIN
KUBECDN_ETCD_PID=$(cat "$DIR/etcd.pid")
KUBECDN_APISERVER_PID=$(cat "$DIR/kube-apiserver.pid")
KUBECDN_KCM_PID=$(cat "$DIR/kube-controller-manager.pid")
KUBECDN_KWOK=$KUBECDN_CP_KWOK
KUBECDN_KWOK_NODES=$([ "$KUBECDN_CP_KWOK" = 1 ] && echo "$KWOK_NODES" || echo 0)
KUBECDN_SCHEDULER_PORT=$SCHED_PORT
EOF

if [ -n "${KUBECDN_CP_OWNER_PID:-}" ]; then
  owner="$KUBECDN_CP_OWNER_PID"
  setsid bash -c 'while kill -0 "$1" 2>/dev/null && [ -e "$2/kube-apiserver.pid" ]; do sleep 2; done
                  [ -e "$2/kube-apiserver.pid" ] && exec "$3" "$2"' \
    kubecdn-cp-watchdog "$owner" "$DIR" "$HERE/stop.sh" </dev/null >>"$DIR/logs/watchdog.log" 2>&1 &
  echo $! >"$DIR/watchdog.pid"
fi

trap - EXIT
log "control plane up in $DIR"
echo "$DIR/kubeconfig"
