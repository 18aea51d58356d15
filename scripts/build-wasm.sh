#!/usr/bin/env bash
# Compiles the line-protocol fast path (data-plane/assembly/lp-fast.ts, AssemblyScript) to
# data-plane/dist/lp-fast.wasm with the `assemblyscript` npm package, run on the Bun from
# node_modules (no Node needed, so the container image builds it too). Run by `npm ci`
# (prepare), `npm test` (pretest) and `npm start`; does nothing when the output is up to date.
# Without the file the server still runs: every body is parsed by the TypeScript parser.
set -euo pipefail
cd "$(dirname "$0")/.."
src=data-plane/assembly/lp-fast.ts
out=data-plane/dist/lp-fast.wasm
if [ -f "$out" ] && [ "$out" -nt "$src" ]; then exit 0; fi
mkdir -p data-plane/dist
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
node_modules/.bin/bun node_modules/assemblyscript/bin/asc.js "$src" -O3 --runtime stub --noAssert --outFile "$tmp/lp-fast.wasm"
mv "$tmp/lp-fast.wasm" "$out"
