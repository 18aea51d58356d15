#!/usr/bin/env bash
# Bundles the codec worker for Node (Vitest runs on Node, which cannot load TypeScript workers).
# Bun loads the TypeScript source directly, so the server does not need this bundle.
set -euo pipefail
cd "$(dirname "$0")/.."
# piscina stays external: its move() marks results with a module-private symbol, so a bundled
# copy's move() would not be recognised by the piscina that runs the worker (results would be
# cloned wrapper objects instead of the moved values).
# CommonJS, not ESM: piscina loads a worker with require() first, and Node 20's require() of an
# ES module (on by default since 20.19) sometimes aborts the process with a native assertion
# (ModuleWrap::CreateRequiredModuleFacade) when worker threads load it; a CommonJS bundle never
# takes that path. (Bun bakes the source's import.meta.url into a CommonJS bundle, so the
# WebAssembly module is found from the source's location.)
node_modules/.bin/bun build data-plane/src/storage/codec-worker.ts \
  --target=node --format=cjs --external lz4-napi --external piscina \
  --outfile data-plane/dist/codec-worker.cjs >/dev/null
rm -f data-plane/dist/codec-worker.mjs
