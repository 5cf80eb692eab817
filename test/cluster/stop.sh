#!/usr/bin/env bash
# stop.sh DIR - stop a cluster started by start.sh DIR and undo everything it did to the host: kill only the
# processes it started (by pid), every container of its containerd, unmount what lies under DIR, remove its cgroups,
# kube-router's chains and ipsets, its host iptables chain, the pods' network namespaces, its network namespace (and with it the veth, the bridge,
# the namespace's iptables and sysctls), restore the host sysctls the kubelet changed, and remove DIR. Safe to run
# twice.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
log() { echo "[cluster/stop] $*" >&2; }
[ $# -eq 1 ] || { log "usage: $0 DIR"; exit 2; }
[ -d "$1" ] || exit 0
DIR="$(cd "$1" && pwd)"
[ -e "$DIR/.kubecdn-cluster" ] || { log "$DIR is not a cluster dir"; exit 2; }
STATE="$DIR/state"
SOCK="$STATE/containerd/run/containerd.sock"
NS=""; ID=""; CGROUP_ROOT=""
[ -f "$DIR/netns" ] && . "$DIR/netns"
[ -n "$NS" ] && ID="${NS#kcdn-}"

kill_pidfile() { # FILE...: TERM, then KILL after 10 s
  local f pid pids=()
  for f in "$@"; do
    [ -f "$f" ] || continue
    pid="$(cat "$f")"; rm -f "$f"
    kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  done
  for _ in $(seq 1 100); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && return 0
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
}

[ -f "$DIR/watchdog.pid" ] && [ "$(cat "$DIR/watchdog.pid")" != "$PPID" ] && kill_pidfile "$DIR/watchdog.pid"
# The kubelet first, so it restarts nothing; then the pods' containers, through the containerd that runs them.
kill_pidfile "$DIR/kubelet.pid"
PODNS=""
if [ -S "$SOCK" ]; then
  c() { ctr --address "$SOCK" -n k8s.io "$@"; }
  # The pods' network namespaces (/run/netns/cni-*: containerd makes one per pod sandbox and removes it only when
  # the sandbox is removed through the CRI, which a stop by SIGKILL skips), read from the containers' specs now,
  # while this containerd can still tell, and deleted below.
  PODNS="$(for id in $(c containers ls -q 2>/dev/null); do c containers info "$id" 2>/dev/null; done |
    grep -oE '/(var/)?run/netns/cni-[0-9a-f-]+' | sed 's|.*/||' | sort -u)"
  for t in $(c tasks ls -q 2>/dev/null); do c tasks kill -a -s SIGKILL "$t" >/dev/null 2>&1; done
  for _ in $(seq 1 100); do c tasks ls 2>/dev/null | grep -q RUNNING || break; sleep 0.1; done
  for t in $(c tasks ls -q 2>/dev/null); do c tasks delete -f "$t" >/dev/null 2>&1; done
fi
kill_pidfile "$DIR"/{kube-router,traefik,coredns,kube-proxy,local-path-provisioner,prometheus,containerd}.pid
# kube-router's rules and sets live in the namespace and would go with it; removed first all the same, so a kept
# namespace (a failed delete) holds no firewall. Every ipset there is kube-router's: nothing else in it uses ipset.
if [ -n "$NS" ] && [ -e "/run/netns/$NS" ]; then
  nsx() { nsenter --net="/run/netns/$NS" "$@"; }
  rules="$(nsx iptables-save -t filter 2>/dev/null)"
  if grep -qE 'KUBE-(ROUTER|POD-FW|NWPLCY)-' <<<"$rules"; then
    grep -vE 'KUBE-(ROUTER|POD-FW|NWPLCY)-' <<<"$rules" | nsx iptables-restore
  fi
  nsx ipset destroy 2>/dev/null
fi
# Shims of this containerd (found by its socket path) that outlived it.
for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $SOCK" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
[ -d "$DIR/cp" ] && KUBECDN_KEEP_STATE=1 "$HERE/../controlplane/stop.sh" "$DIR/cp" >/dev/null 2>&1

# Mounts under DIR, deepest first (overlay rootfs, volumes, the kubelet's shared bind mount of its root dir).
for _ in 1 2 3; do
  m="$(awk -v d="$DIR/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r)"
  [ -z "$m" ] && break
  for p in $m; do umount "$p" 2>/dev/null || umount -l "$p" 2>/dev/null; done
done
# Cgroups: everything the kubelet made lives under our own cgroup root.
if [ -n "$CGROUP_ROOT" ]; then
  for h in /sys/fs/cgroup/*/; do
    [ -d "$h$CGROUP_ROOT" ] || continue
    find "$h$CGROUP_ROOT" -depth -type d -exec rmdir {} \; 2>/dev/null
  done
fi
for p in $PODNS; do ip netns delete "$p" 2>/dev/null; done
if [ -n "$ID" ]; then
  iptables -D FORWARD -j "KCDN-$ID" 2>/dev/null
  iptables -F "KCDN-$ID" 2>/dev/null; iptables -X "KCDN-$ID" 2>/dev/null
  ip netns delete "$NS" 2>/dev/null
  ip link delete "kcdnh-$ID" 2>/dev/null
fi
if [ -f "$DIR/sysctls" ]; then
  while IFS='=' read -r k v; do sysctl -qw "$k=$v"; done <"$DIR/sysctls"
fi
# Check, rather than hope: anything still here is reported and fails the stop.
left=()
[ -n "$CGROUP_ROOT" ] && for h in /sys/fs/cgroup/*/"$CGROUP_ROOT"; do [ -d "$h" ] && left+=("cgroup $h"); done
[ -n "$NS" ] && [ -e "/run/netns/$NS" ] && left+=("network namespace $NS")
[ -n "$ID" ] && iptables -S "KCDN-$ID" >/dev/null 2>&1 && left+=("iptables chain KCDN-$ID")
[ -n "$ID" ] && ip link show "kcdnh-$ID" >/dev/null 2>&1 && left+=("veth kcdnh-$ID")
while read -r m; do left+=("mount $m"); done < <(awk -v d="$DIR/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts)
for pid in $(pgrep -f "containerd-shim-runc-v2 .*-address $SOCK"); do left+=("process $pid"); done
if [ "${KUBECDN_KEEP_STATE:-0}" = 1 ]; then
  rm -f "$DIR/netns"; log "kept $DIR"
else
  rm -rf "$DIR"
fi
if [ "${#left[@]}" -gt 0 ]; then
  log "left behind:"; printf '  %s\n' "${left[@]}" >&2
  exit 1
fi
