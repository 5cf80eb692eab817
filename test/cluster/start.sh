#!/usr/bin/env bash
# start.sh DIR - a real one-node Kubernetes cluster for kubecdn's end-to-end tests: the control plane of
# test/controlplane plus containerd, a kubelet, kube-proxy, CoreDNS, Traefik (the Ingress controller), rancher's
# local-path provisioner and Prometheus, all with their state in DIR.
#
# Network safety: every component and every pod lives in a network namespace this script creates. Its only link is a
# veth pair to the host (/30); the namespace has no default route and drops any forwarded packet that is not going to
# a pod, so nothing a pod sends can leave the machine (or even reach the host, unless the host started the
# connection). No masquerading anywhere; CoreDNS has no forwarder. The host gets a route to the pod range over the veth
# so tests can read pods directly.
#
# On success writes DIR/env (KUBECONFIG, KUBECDN_INGRESS_URL, KUBECDN_PROMETHEUS_URL, ...) and prints the kubeconfig
# path as the last line. Stop with stop.sh DIR (also run on any failure here, and by a watchdog once
# KUBECDN_CLUSTER_OWNER_PID exits).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { echo "[cluster/start] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[ $# -eq 1 ] || die "usage: $0 DIR"
[ "$(id -u)" = 0 ] || die "needs root (network namespace, containerd, kubelet)"
mkdir -p "$1"
DIR="$(cd "$1" && pwd)"
[ -e "$DIR/netns" ] && die "$DIR already holds a cluster (run stop.sh first)"
touch "$DIR/.kubecdn-cluster"
STATE="$DIR/state"
mkdir -p "$STATE"/{containerd,cni/conf,cni/ipam,kubelet/logs,kubelet/root,local-path,prometheus/targets,prometheus/rules,prometheus/data} "$DIR/logs"
TIMEOUT="${KUBECDN_CLUSTER_TIMEOUT:-300}"
deadline=$((SECONDS + TIMEOUT))

BIN="${KUBECDN_K8S_BIN:-$("$HERE/build.sh" | tail -n1)}"
for b in kubelet kube-proxy kubectl coredns traefik local-path-provisioner kube-router; do
  [ -x "$BIN/$b" ] || die "missing $BIN/$b (run test/cluster/build.sh)"
done
for t in containerd runc ctr iptables ipset ip nsenter conntrack prometheus; do
  command -v "$t" >/dev/null || die "missing $t (apt-get install containerd runc containernetworking-plugins iptables ipset conntrack prometheus)"
done
[ -x /usr/lib/cni/bridge ] || die "missing CNI plugins in /usr/lib/cni (apt-get install containernetworking-plugins)"

# A third octet no other cluster on this machine uses: 10.250.X.0/30 for the veth, 10.244.X.0/24 for pods.
for _ in $(seq 1 50); do
  X=$((RANDOM % 250 + 1))
  ip route show | grep -qE "^10\.(250|244)\.$X\." || break
done
ID="$(openssl rand -hex 3)"
NS="kcdn-$ID"
HOST_IP="10.250.$X.1"; NS_IP="10.250.$X.2"
POD_CIDR="10.244.$X.0/24"; POD_GW="10.244.$X.1"
CGROUP_ROOT="kcdn-$ID"
printf 'NS=%s\nHOST_VETH=%s\nPOD_CIDR=%s\nCGROUP_ROOT=%s\n' "$NS" "kcdnh-$ID" "$POD_CIDR" "$CGROUP_ROOT" >"$DIR/netns"
# The kubelet sets these host-wide; stop.sh puts them back.
for k in vm.overcommit_memory kernel.panic kernel.panic_on_oops; do echo "$k=$(sysctl -n "$k")"; done >"$DIR/sysctls"

trap 'rc=$?; if [ $rc -ne 0 ]; then log "start failed (rc=$rc); logs in $DIR/logs"; for f in "$DIR"/logs/*.log; do echo "----- $f" >&2; tail -n 15 "$f" >&2; done; KUBECDN_KEEP_STATE=1 "$HERE/stop.sh" "$DIR" >&2 || true; fi' EXIT

inns() { nsenter --net="/run/netns/$NS" "$@"; }
render() { # TEMPLATE OUT: fill the ${VAR}s this script knows; anything else ($VOL_DIR...) stays
  sed -e "s#\${STATE}#$STATE#g; s#\${NS_IP}#$NS_IP#g; s#\${POD_CIDR}#$POD_CIDR#g; s#\${POD_GW}#$POD_GW#g" \
      -e "s#\${CGROUP_ROOT}#$CGROUP_ROOT#g; s#\${CA_FILE}#$DIR/cp/pki/ca.crt#g; s#\${KUBECONFIG_FILE}#$DIR/cp/kubeconfig#g" \
      -e "s#\${HELPER_IMAGE}#${KUBECDN_HELPER_IMAGE:-}#g" "$1" >"$2"
}
spawn() { # NAME CMD... : detached, in the namespace, logging to DIR/logs/NAME.log
  local name="$1"; shift
  setsid nsenter --net="/run/netns/$NS" "$@" </dev/null >>"$DIR/logs/$name.log" 2>&1 &
  echo $! >"$DIR/$name.pid"
}
wait_for() { # WHAT CMD...
  local what="$1"; shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "timed out waiting for $what"
    sleep 0.5
  done
}

# ---------------------------------------------------------------- network
ip netns add "$NS"
ip link add "kcdnh-$ID" type veth peer name "kcdnn-$ID"
ip link set "kcdnn-$ID" netns "$NS"
ip addr add "$HOST_IP/30" dev "kcdnh-$ID"
ip link set "kcdnh-$ID" up
ip route add "$POD_CIDR" via "$NS_IP" dev "kcdnh-$ID"
inns ip link set lo up
inns ip addr add "$NS_IP/30" dev "kcdnn-$ID"
inns ip link set "kcdnn-$ID" up
# The pods' bridge exists before the first pod so CoreDNS can serve on its gateway address from the start.
inns ip link add kcdn0 type bridge
inns ip addr add "$POD_GW/24" dev kcdn0
inns ip link set kcdn0 up
inns sysctl -qw net.ipv4.ip_forward=1
inns sysctl -qw net.bridge.bridge-nf-call-iptables=1 || die "br_netfilter is needed (kube-proxy Services between pods on one bridge)"
inns iptables -t mangle -N KUBECDN-SAFETY
inns iptables -t mangle -A KUBECDN-SAFETY -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
inns iptables -t mangle -A KUBECDN-SAFETY -d "$POD_CIDR" -j RETURN
inns iptables -t mangle -A KUBECDN-SAFETY -j DROP
inns iptables -t mangle -A FORWARD -j KUBECDN-SAFETY
# The host never forwards what comes out of the namespace either (should ip_forward be on here).
iptables -N "KCDN-$ID"
iptables -A "KCDN-$ID" -i "kcdnh-$ID" -j DROP
iptables -I FORWARD -j "KCDN-$ID"
log "network namespace $NS: host $HOST_IP, cluster $NS_IP, pods $POD_CIDR"

# ---------------------------------------------------------- control plane
# 6443 (free in a namespace of its own): the port a real cluster's API server has, and the operator's egress policy allows.
KUBECONFIG="$(KUBECDN_CP_ADDR="$NS_IP" KUBECDN_CP_API_PORT=6443 KUBECDN_CP_KWOK=0 KUBECDN_CP_SCHEDULER=1 KUBECDN_K8S_BIN="$BIN" \
  inns "$HERE/../controlplane/start.sh" "$DIR/cp" | tail -n1)"
export KUBECONFIG
kc() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG" "$@"; }

# ------------------------------------------------------------- containerd
render "$HERE/conf/containerd.toml" "$STATE/containerd.toml"
render "$HERE/conf/cni.conflist" "$STATE/cni/conf/10-kubecdn.conflist"
SOCK="$STATE/containerd/run/containerd.sock"
spawn containerd containerd --config "$STATE/containerd.toml"
wait_for "containerd" ctr --address "$SOCK" version
eval "$("$HERE/images.sh" import "$SOCK")"
log "containerd ready, images imported"

# ------------------------------------------------------------------ kubelet
for h in /sys/fs/cgroup/*/; do [ -L "${h%/}" ] || mkdir -p "$h$CGROUP_ROOT"; done
echo "nameserver $POD_GW" >"$STATE/kubelet/resolv.conf"
render "$HERE/conf/kubelet.yaml" "$STATE/kubelet/config.yaml"
spawn kubelet "$BIN/kubelet" --config="$STATE/kubelet/config.yaml" --kubeconfig="$DIR/cp/kubelet.kubeconfig" \
  --hostname-override=kcdn-node --node-ip="$NS_IP" --root-dir="$STATE/kubelet/root" \
  --cert-dir="$STATE/kubelet/pki" --v=1
wait_for "node kcdn-node Ready" bash -c "'$BIN/kubectl' --kubeconfig '$KUBECONFIG' get node kcdn-node -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].status}' | grep -qx True"
log "kubelet: node kcdn-node Ready"

# --------------------------------------------------------------- kube-proxy
spawn kube-proxy "$BIN/kube-proxy" --kubeconfig="$DIR/cp/kube-proxy.kubeconfig" --hostname-override=kcdn-node \
  --proxy-mode=iptables --cluster-cidr="$POD_CIDR" --conntrack-max-per-core=0 \
  --metrics-bind-address=127.0.0.1:10249 --healthz-bind-address=127.0.0.1:10256 --v=1
wait_for "kube-proxy" inns curl -fsS http://127.0.0.1:10256/healthz

# ------------------------------------------------------ NetworkPolicy enforcer
# kube-router's firewall only (no routing, no service proxy, no CNI): iptables chains KUBE-ROUTER-*/KUBE-POD-FW-*/
# KUBE-NWPLCY-* and KUBE-* ipsets, all in this namespace. Traffic from the node's own addresses (the kubelet's probes,
# and Traefik and Prometheus, which run on the node here) is always admitted, as the NetworkPolicy API says.
spawn kube-router "$BIN/kube-router" --kubeconfig="$KUBECONFIG" --hostname-override=kcdn-node \
  --run-firewall=true --run-router=false --run-service-proxy=false --enable-cni=false --enable-pod-egress=false \
  --service-cluster-ip-range=10.0.0.0/24 --health-port=20244 --metrics-port=0 --v=1
wait_for "kube-router" inns bash -c "curl -fsS http://127.0.0.1:20244/healthz && iptables -S KUBE-ROUTER-FORWARD"
log "kube-router enforcing NetworkPolicies"

# ------------------------------------------------------------------ CoreDNS
render "$HERE/conf/Corefile" "$STATE/Corefile"
spawn coredns "$BIN/coredns" -conf "$STATE/Corefile"
wait_for "CoreDNS" inns curl -fsS http://127.0.0.1:8181/ready

# ------------------------------------------- storage, Ingress, Prometheus
render "$HERE/conf/cluster.yaml" "$STATE/cluster.yaml"
kc apply -f "$STATE/cluster.yaml" >/dev/null
spawn local-path-provisioner "$BIN/local-path-provisioner" --debug start --kubeconfig "$KUBECONFIG" \
  --namespace kube-system --configmap-name local-path-config --helper-image "$KUBECDN_HELPER_IMAGE" \
  --service-account-name default
API_URL="$(sed -n 's/^KUBECDN_API_URL=//p' "$DIR/cp/env")"
API_TOKEN="$(sed -n 's/^KUBECDN_API_TOKEN=//p' "$DIR/cp/env")"
spawn traefik "$BIN/traefik" --global.checknewversion=false --global.sendanonymoususage=false \
  --entryPoints.web.address=":80" --ping=true --ping.entryPoint=traefik --entryPoints.traefik.address=127.0.0.1:8082 \
  --providers.kubernetesingress=true --providers.kubernetesingress.endpoint="$API_URL" \
  --providers.kubernetesingress.token="$API_TOKEN" --providers.kubernetesingress.certauthfilepath="$DIR/cp/pki/ca.crt" \
  --log.level=INFO --accesslog=true
wait_for "Traefik" inns curl -fsS http://127.0.0.1:8082/ping
render "$HERE/conf/prometheus.yml" "$STATE/prometheus/prometheus.yml"
echo '[]' >"$STATE/prometheus/targets/kubecdn.json"
spawn prometheus prometheus --config.file="$STATE/prometheus/prometheus.yml" --storage.tsdb.path="$STATE/prometheus/data" \
  --web.listen-address="$NS_IP:9090" --web.enable-lifecycle
wait_for "Prometheus" curl -fsS "http://$NS_IP:9090/-/ready"

cat >"$DIR/env" <<ENV
KUBECONFIG=$KUBECONFIG
KUBECDN_K8S_BIN=$BIN
KUBECDN_NETNS=$NS
KUBECDN_CLUSTER_IP=$NS_IP
KUBECDN_HOST_IP=$HOST_IP
KUBECDN_POD_CIDR=$POD_CIDR
KUBECDN_INGRESS_URL=http://$NS_IP
KUBECDN_PROMETHEUS_URL=http://$NS_IP:9090
KUBECDN_PROMETHEUS_TARGETS=$STATE/prometheus/targets/kubecdn.json
KUBECDN_PROMETHEUS_RULES=$STATE/prometheus/rules
KUBECDN_CONTAINERD_SOCK=$SOCK
KUBECDN_IMAGE=$KUBECDN_IMAGE
KUBECDN_REDIS_IMAGE=$KUBECDN_REDIS_IMAGE
KUBECDN_HELPER_IMAGE=$KUBECDN_HELPER_IMAGE
ENV

if [ -n "${KUBECDN_CLUSTER_OWNER_PID:-}" ]; then
  setsid bash -c 'while kill -0 "$1" 2>/dev/null && [ -e "$2/netns" ]; do sleep 2; done; [ -e "$2/netns" ] && exec "$3" "$2"' \
    kubecdn-cluster-watchdog "$KUBECDN_CLUSTER_OWNER_PID" "$DIR" "$HERE/stop.sh" </dev/null >>"$DIR/logs/watchdog.log" 2>&1 &
  echo $! >"$DIR/watchdog.pid"
fi
trap - EXIT
log "cluster up in $DIR (${SECONDS}s)"
echo "$KUBECONFIG"
