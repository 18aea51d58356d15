#!/usr/bin/env bash
# Builds the Kubernetes control-plane binaries pinned in test/tools/k8s/go.mod (kube-apiserver,
# kube-controller-manager, kubectl) and prints their paths, one per line, in that order.
#
# They are in neither npm nor Debian here, so the e2e tests build them from the Go module proxy
# (DESIGN.md §9). The binaries land in a cache OUTSIDE the repo:
#   ${STOCK_TSDB_TOOLS:-$HOME/.cache/stock-tsdb/tools}/k8s-<version>/
# Idempotent: when all three exist and report the pinned version, nothing is built, so a machine
# pays once: measured 15 min cold (module download included) and 11 min with modules already
# downloaded, on 2 cores shared with other work; the private Go caches are deleted afterwards.
# Concurrent callers (parallel test workers) serialise on a lock; binaries appear atomically.
# Only stdout carries the paths; progress and errors go to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mod_dir="$here/../test/tools/k8s"
tools="${STOCK_TSDB_TOOLS:-$HOME/.cache/stock-tsdb/tools}"

version="$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v1\./ { sub(/^v/, "", $2); print $2; exit }' "$mod_dir/go.mod")"
[ -n "$version" ] || { echo "build-k8s: no k8s.io/kubernetes version in $mod_dir/go.mod" >&2; exit 1; }
dest_dir="$tools/k8s-$version"
cmds=(kube-apiserver kube-controller-manager kubectl)

have_binaries() {
  [ -x "$dest_dir/kube-apiserver" ] && [ -x "$dest_dir/kube-controller-manager" ] && [ -x "$dest_dir/kubectl" ] || return 1
  # Capture first: `cmd | grep -q` under pipefail fails at random when grep exits early (SIGPIPE).
  local api ctl
  api="$("$dest_dir/kube-apiserver" --version 2>/dev/null)" || return 1
  ctl="$("$dest_dir/kubectl" version --client 2>/dev/null)" || return 1
  [ "$api" = "Kubernetes v$version" ] && grep -qx "Client Version: v$version" <<<"$ctl"
}

print_paths() {
  for c in "${cmds[@]}"; do echo "$dest_dir/$c"; done
}

if have_binaries; then
  print_paths
  exit 0
fi

command -v go >/dev/null 2>&1 || {
  echo "build-k8s: Go is needed to build Kubernetes $version (test/tools/k8s/go.mod); install Go >= 1.26" >&2
  exit 1
}

mkdir -p "$dest_dir"
exec 9>"$dest_dir/.lock"
flock 9
# Another caller may have finished the build while we waited for the lock.
if have_binaries; then
  print_paths
  exit 0
fi

echo "build-k8s: building Kubernetes $version (${cmds[*]}) into $dest_dir (first run only; takes minutes)" >&2
tmp="$(mktemp -d "$dest_dir/.build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# Private Go caches (as build-consul.sh): the modules and build objects take several GB and are
# useless once the binaries exist, so they are deleted after a successful build (kept after a
# failure, to speed a retry).
go_caches="$dest_dir/.go"
start=$(date +%s)
minor="${version#*.}"; minor="${minor%%.*}"
# The version variables hack/lib/version.sh sets in a release build: without them the binaries
# call themselves v0.0.0-master and kubectl warns about version skew on every call.
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=v$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
(
  cd "$mod_dir"
  export GOMODCACHE="$go_caches/mod" GOCACHE="$go_caches/build"
  # -mod=readonly: go.mod/go.sum are committed and complete; a build must never rewrite them.
  # CGO_ENABLED=0 and -trimpath as the Kubernetes release build does for these commands.
  export GOFLAGS="${GOFLAGS:-} -mod=readonly"
  # One `go build` for all three so they share compiled packages (most of the work).
  CGO_ENABLED=0 nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$tmp/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl
)
for c in "${cmds[@]}"; do
  chmod 0755 "$tmp/$c"
  mv -f "$tmp/$c" "$dest_dir/$c"
done
trap - EXIT
rm -rf "$tmp"
# Module cache files are read-only; `go clean -modcache` knows how to remove them.
GOMODCACHE="$go_caches/mod" go clean -modcache >/dev/null 2>&1 || true
rm -rf "$go_caches"
have_binaries || { echo "build-k8s: built into $dest_dir but the binaries do not report v$version" >&2; exit 1; }
echo "build-k8s: built Kubernetes $version in $(( $(date +%s) - start ))s" >&2
print_paths
