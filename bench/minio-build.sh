#!/usr/bin/env bash
# Build (once) the MinIO server that `npm run bench -- --only minio` compares one kubecdn node with
# (docs/benchmarks.md, "kubecdn vs MinIO"). MinIO ships no tagged Go module versions (its releases are
# RELEASE.* git tags, which the Go module proxy does not list as versions), so the pin is the pseudo-version
# that `go list -m github.com/minio/minio@latest` resolved to; the repository is archived, so it is also the last.
#
# Output: ${KUBECDN_MINIO_CACHE:-$HOME/.cache/kubecdn-minio}/<version>/minio
# Idempotent: exits at once when the binary exists. Prints the binary's path on stdout (last line); progress goes
# to stderr. A cold build takes ~7-8 minutes on 2 cores.
#
# Env overrides:
#   KUBECDN_MINIO_VERSION  github.com/minio/minio module version (default: the pin below)
#   KUBECDN_MINIO_CACHE    cache root (default $HOME/.cache/kubecdn-minio)
#   GO                     go binary (default: go on PATH, else /usr/local/go/bin/go)
set -euo pipefail

VERSION="${KUBECDN_MINIO_VERSION:-v0.0.0-20260212201848-7aac2a2c5b7c}"
DIR="${KUBECDN_MINIO_CACHE:-$HOME/.cache/kubecdn-minio}/$VERSION"
BIN="$DIR/minio"

log() { echo "[minio-build] $*" >&2; }

if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi

if [ -z "${GO:-}" ]; then
  if command -v go >/dev/null 2>&1; then GO="$(command -v go)"; else GO=/usr/local/go/bin/go; fi
fi
[ -x "$GO" ] || { log "go not found (set GO=...)"; exit 1; }

# One build at a time per cache dir (two bench runs started together share one build).
mkdir -p "$DIR"
exec 9>"$DIR/.build.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi

log "go install github.com/minio/minio@$VERSION into $DIR (takes minutes; built once)"
t0=$SECONDS
# Built into a scratch GOBIN and moved: an interrupted build is not mistaken for a good one.
rm -rf "$DIR/.partial"
mkdir -p "$DIR/.partial"
# GOFLAGS='': the machine's GOFLAGS (e.g. -mod=...) would apply to a module we do not control.
(cd "$DIR" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS='' GOBIN="$DIR/.partial" nice -n 19 \
  "$GO" install -trimpath -ldflags "-s -w" "github.com/minio/minio@$VERSION" >&2)
mv "$DIR/.partial/minio" "$BIN"
rmdir "$DIR/.partial"
log "built in $((SECONDS - t0))s: $BIN"
echo "$BIN"
