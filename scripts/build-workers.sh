#!/usr/bin/env bash
# Bundles the codec worker for Node (Vitest runs on Node, which cannot load TypeScript workers).
# Bun loads the TypeScript source directly, so the server does not need this bundle.
set -euo pipefail
cd "$(dirname "$0")/.."
# piscina stays external: its move() marks results with a module-private symbol, so a bundled
# copy's move() would not be recognised by the piscina that runs the worker (results would be
# cloned wrapper objects instead of the moved values).
node_modules/.bin/bun build data-plane/src/storage/codec-worker.ts \
  --target=node --format=esm --external lz4-napi --external piscina \
  --outfile data-plane/dist/codec-worker.mjs >/dev/null
