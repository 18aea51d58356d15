#!/usr/bin/env bash
# Builds the Consul agent pinned in test/tools/consul/go.mod and prints the binary's path.
#
# Consul is in neither npm nor Debian, so the integration tests build it from the Go module proxy
# (DESIGN.md §9). The binary lands in a cache OUTSIDE the repo:
#   ${STOCK_TSDB_TOOLS:-$HOME/.cache/stock-tsdb/tools}/consul-<version>/consul
# Idempotent: when that binary exists and reports the pinned version, nothing is built, so a fresh
# machine pays once: measured 4 min with modules already downloaded, 12 min cold (a 2.3 GB module
# cache, deleted afterwards) on 2 cores shared with other work.
# Concurrent callers (parallel test workers) serialise on a lock; the binary appears atomically.
# Only stdout carries the path; progress and errors go to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mod_dir="$here/../test/tools/consul"
tools="${STOCK_TSDB_TOOLS:-$HOME/.cache/stock-tsdb/tools}"

version="$(awk '$1 == "github.com/hashicorp/consul" { sub(/^v/, "", $2); print $2; exit }' "$mod_dir/go.mod")"
[ -n "$version" ] || { echo "build-consul: no github.com/hashicorp/consul version in $mod_dir/go.mod" >&2; exit 1; }
dest_dir="$tools/consul-$version"
bin="$dest_dir/consul"

have_binary() {
  # Read the whole output before matching: with pipefail, `| head -n 1` could SIGPIPE the binary
  # and make a good binary look broken (that once triggered a needless rebuild under load).
  local out
  [ -x "$bin" ] && out="$("$bin" version 2>/dev/null)" && [ "${out%%$'\n'*}" = "Consul v$version" ]
}

if have_binary; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null 2>&1 || {
  echo "build-consul: Go is needed to build Consul $version (test/tools/consul/go.mod); install Go >= 1.24" >&2
  exit 1
}

mkdir -p "$dest_dir"
exec 9>"$dest_dir/.lock"
flock 9
# Another caller may have finished the build while we waited for the lock.
if have_binary; then
  echo "$bin"
  exit 0
fi

echo "build-consul: building Consul $version into $dest_dir (first run only; takes minutes)" >&2
tmp="$(mktemp "$dest_dir/.consul.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
# Private Go caches: Consul's modules and build objects take ~4 GB and are useless once the binary
# exists, so they are deleted after a successful build (kept after a failure, to speed a retry).
go_caches="$dest_dir/.go"
start=$(date +%s)
(
  cd "$mod_dir"
  export GOMODCACHE="$go_caches/mod" GOCACHE="$go_caches/build"
  # GONOSUMDB: the checksum database answers 404 for these two modules, so Go would refuse them;
  # their hashes are pinned in the committed go.sum, which Go checks before the database anyway.
  # -mod=readonly: go.mod/go.sum are committed and complete; a build must never rewrite them.
  # CGO_ENABLED=0 and -trimpath as Consul's own release build does; -s -w drop debug info.
  export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/hashicorp/hcp-sdk-go,github.com/hashicorp/consul/envoyextensions"
  export GOFLAGS="${GOFLAGS:-} -mod=readonly"
  CGO_ENABLED=0 nice -n 10 go build -trimpath -ldflags '-s -w' -o "$tmp" github.com/hashicorp/consul
)
chmod 0755 "$tmp"
mv -f "$tmp" "$bin"
trap - EXIT
# Module cache files are read-only; `go clean -modcache` knows how to remove them.
GOMODCACHE="$go_caches/mod" go clean -modcache >/dev/null 2>&1 || true
rm -rf "$go_caches"
have_binary || { echo "build-consul: built $bin but it does not report Consul v$version" >&2; exit 1; }
echo "build-consul: built Consul $version in $(( $(date +%s) - start ))s" >&2
echo "$bin"
