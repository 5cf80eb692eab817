# Shared by scripts/*.sh: install what kubecdn needs on a fresh machine (npm dependencies, redis-server).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

need_node() {
  local major minor
  major="$(node -p 'process.versions.node.split(".")[0]')"
  minor="$(node -p 'process.versions.node.split(".")[1]')"
  if [ "$major" -lt 20 ] || { [ "$major" -eq 20 ] && [ "$minor" -lt 19 ]; }; then
    echo "kubecdn needs Node.js >= 20.19 (found $(node --version))." >&2
    exit 1
  fi
}

ensure_node_modules() {
  # npm ci when dependencies are missing or the lock file changed since the last install.
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "==> installing npm dependencies (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

# apt_install PACKAGE... : installs Debian/Ubuntu packages when root, otherwise says what to install.
apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "kubecdn needs: $*. Install them (e.g. 'sudo apt-get install -y $*') and run again." >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "kubecdn needs: $* (no apt-get here: install them with your package manager)." >&2
    exit 1
  fi
  echo "==> installing $* from the OS packages"
  # Keep package scripts from starting services (a redis on 6379 is not wanted: we start our own).
  local policy=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created=1; fi
  # A fresh machine has empty package lists: update only when the first try cannot find the packages.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
  if [ "$created" -eq 1 ]; then rm -f "$policy"; fi
}

ensure_redis() {
  if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
    apt_install redis-server redis-tools
  fi
}

# promtool (Debian's prometheus package): the metric exposition and the alert rules are checked with it.
ensure_promtool() {
  command -v promtool >/dev/null 2>&1 || apt_install prometheus
}

build() {
  echo "==> building (tsc)"
  npx tsc -p tsconfig.json
}

# ensure_cluster_tools: installs what a real one-node cluster needs (test/cluster), or prints why this machine cannot
# run one and fails.
ensure_cluster_tools() {
  [ "$(id -u)" -eq 0 ] || { echo "not root (a network namespace, containerd and a kubelet need root)"; return 1; }
  command -v apt-get >/dev/null 2>&1 || { echo "no apt-get to install containerd, runc and the CNI plugins"; return 1; }
  [ -d /sys/fs/cgroup ] || { echo "no cgroup file system"; return 1; }
  local missing=() tool
  for tool in containerd runc buildah debootstrap conntrack iptables prometheus; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  [ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
  if [ "${#missing[@]}" -gt 0 ]; then
    apt_install containerd runc containernetworking-plugins buildah debootstrap conntrack iptables prometheus >&2 ||
      { echo "could not install ${missing[*]}"; return 1; }
  fi
  ip netns add kubecdn-probe-$$ 2>/dev/null || { echo "cannot create a network namespace"; return 1; }
  ip netns delete kubecdn-probe-$$
}
