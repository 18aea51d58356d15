#!/usr/bin/env bash
# Installs stock-tsdb's dependencies on a machine with Node.js (>= 20) and npm; Bun comes from
# the `bun` npm package. Idempotent. Usage: scripts/install.sh [--with-test-tools]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
command -v node >/dev/null || { echo "install.sh: Node.js (>= 20) is required" >&2; exit 1; }
command -v npm >/dev/null || { echo "install.sh: npm is required" >&2; exit 1; }
major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$major" -ge 20 ] || { echo "install.sh: Node.js >= 20 is required (found $(node --version))" >&2; exit 1; }
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
"$root/node_modules/.bin/bun" --version >/dev/null || { echo "install.sh: bun did not install" >&2; exit 1; }
# npm ci's prepare step builds it; built again here only if missing or stale.
bash "$root/scripts/build-wasm.sh"
[ -f "$root/data-plane/dist/lp-fast.wasm" ] || { echo "install.sh: the line-protocol fast path did not build" >&2; exit 1; }
mkdir -p "$root/data" "$root/logs"
if [ "${1:-}" = "--with-test-tools" ]; then bash "$root/scripts/test-setup.sh"; fi
echo "stock-tsdb installed (Bun $("$root/node_modules/.bin/bun" --version)). Start it with:"
echo "  scripts/deploy_standalone.sh --config config/standalone_performance.lua"
