# Shared by scripts/*.sh: install what kubecdn needs on a fresh machine (npm dependencies, redis-server).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# need_node: puts the Node.js of .node-version (the one the image ships) first on PATH. A machine with another Node
# (a fresh one may have only an older LTS and its npm) gets the official binary from the npm registry's
# node-linux-<arch> package, integrity-checked by npm, unpacked once into the cache. npm itself stays the machine's:
# it runs on the pinned Node too. KUBECDN_NODE_CACHE moves the cache.
NODE_PIN="$(cat "$ROOT/.node-version")"
need_node() {
  [ "$(node --version 2>/dev/null)" = "v$NODE_PIN" ] && return 0
  command -v npm >/dev/null 2>&1 || { echo "kubecdn needs npm (any version) to fetch Node.js $NODE_PIN." >&2; exit 1; }
  local dir="${KUBECDN_NODE_CACHE:-$HOME/.cache/kubecdn-node}/$NODE_PIN" arch
  if [ ! -x "$dir/bin/node" ]; then
    case "$(uname -m)" in
      x86_64) arch=x64 ;;
      aarch64 | arm64) arch=arm64 ;;
      *) echo "no official Node.js $NODE_PIN package for $(uname -m): install Node.js $NODE_PIN yourself." >&2; exit 1 ;;
    esac
    echo "==> fetching Node.js $NODE_PIN (npm package node-linux-$arch) into $dir" >&2
    local tmp
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-$arch@$NODE_PIN" >/dev/null)
    mkdir -p "$dir.partial"
    tar -xzf "$tmp/node-linux-$arch-$NODE_PIN.tgz" -C "$dir.partial" --strip-components=1 --no-same-owner
    rm -rf "$tmp" "$dir"
    mv "$dir.partial" "$dir" # whole or not at all: an interrupted fetch is not mistaken for a good one
  fi
  export PATH="$dir/bin:$PATH"
  [ "$(node --version)" = "v$NODE_PIN" ] || { echo "Node.js in $dir is not v$NODE_PIN" >&2; exit 1; }
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

# chromium (Debian's package): the browser test (test/integration/browser.test.ts) drives it with playwright-core,
# which downloads no browser of its own. KUBECDN_CHROMIUM points the test at another binary.
ensure_chromium() {
  command -v chromium >/dev/null 2>&1 || apt_install chromium
}

# zsh (Debian's package): the CLI's zsh completion is loaded into a real zsh (test/cli/completion.test.ts).
ensure_zsh() {
  command -v zsh >/dev/null 2>&1 || apt_install zsh
}

# ensure_schemathesis: the API fuzzer (PyPI) that test/integration/schemathesis.test.ts runs against a live node,
# pinned, in its own venv under ~/.cache (KUBECDN_PY_CACHE moves it) so nothing is installed into the machine's
# Python. Installed once per pinned version; a venv whose install did not finish (no .complete) is made again.
# Without python3 it says so and returns 0: that test then skips, saying why. schemathesis_bin prints the CLI's path.
SCHEMATHESIS_PIN=4.32.5
schemathesis_dir() { echo "${KUBECDN_PY_CACHE:-$HOME/.cache/kubecdn-py}/schemathesis-$SCHEMATHESIS_PIN"; }
schemathesis_bin() { echo "$(schemathesis_dir)/bin/st"; }
ensure_schemathesis() {
  local dir
  dir="$(schemathesis_dir)"
  [ -f "$dir/.complete" ] && return 0
  command -v python3 >/dev/null 2>&1 || { echo "==> no python3: the schemathesis test will be skipped" >&2; return 0; }
  # Debian's python3 leaves venv's ensurepip to a separate package
  python3 -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv
  echo "==> installing schemathesis $SCHEMATHESIS_PIN (PyPI) into $dir" >&2
  rm -rf "$dir"
  # in place: a venv's scripts name their interpreter by absolute path, so it cannot be built elsewhere and moved
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_PIN" >&2
  "$dir/bin/st" --version >/dev/null
  touch "$dir/.complete"
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
  for tool in containerd runc buildah debootstrap conntrack iptables ipset prometheus; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  [ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
  if [ "${#missing[@]}" -gt 0 ]; then
    apt_install containerd runc containernetworking-plugins buildah debootstrap conntrack iptables ipset prometheus >&2 ||
      { echo "could not install ${missing[*]}"; return 1; }
  fi
  ip netns add kubecdn-probe-$$ 2>/dev/null || { echo "cannot create a network namespace"; return 1; }
  ip netns delete kubecdn-probe-$$
}
