#!/usr/bin/env bash
# Tunes a stock-tsdb config to this machine (cores, RAM, free disk, data size) and writes
# FILE.tuned.<ext> beside it, or OUT, with the reason for each change as a comment.
#
#   scripts/optimize_performance.sh --config config/standalone_performance.lua [--output OUT]
#
# A thin wrapper: the logic is data-plane/src/config/tune.ts, the I/O optimize-cli.ts.
# Relative paths in the arguments resolve against the caller's working directory.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUN="$ROOT/node_modules/.bin/bun"
if [[ ! -x "$BUN" ]]; then
  echo "optimize_performance.sh: $BUN not found; run npm install in $ROOT first" >&2
  exit 1
fi
exec "$BUN" "$ROOT/data-plane/src/config/optimize-cli.ts" "$@"
