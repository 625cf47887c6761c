#!/usr/bin/env bash
# Builds the WebAssembly core for the UI: cargo (own target dir, `wasm` profile) → wasm-bindgen
# (ES module for the web) → wasm-opt -Oz from npm `binaryen`. Output: ui/src/wasm-pkg/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO=${CARGO:-cargo}
OUT=ui/src/wasm-pkg
TARGET_DIR=target/wasm
WASM_OPT=ui/node_modules/.bin/wasm-opt

[ -x "$WASM_OPT" ] || (cd ui && npm ci --no-audit --no-fund)

# opt-level 3 rather than the profile's "z": the preview runs about twice as fast for ~35 KB more
# gzipped (measured in BENCHMARKS.md, ## WASM); wasm-opt -Oz then trims what does not cost speed.
CARGO_PROFILE_WASM_OPT_LEVEL=${CARGO_PROFILE_WASM_OPT_LEVEL:-3} \
  $CARGO build -p inlet-wasm --target wasm32-unknown-unknown --profile wasm --target-dir "$TARGET_DIR"
rm -rf "$OUT.tmp"
wasm-bindgen --target web --remove-name-section --remove-producers-section \
  --out-dir "$OUT.tmp" "$TARGET_DIR/wasm32-unknown-unknown/wasm/inlet_wasm.wasm"
# The features cargo's output uses (bulk memory, reference types for the externref table, …)
# must be enabled explicitly or binaryen refuses the module.
"$WASM_OPT" -Oz --enable-bulk-memory --enable-reference-types --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-multivalue \
  "$OUT.tmp/inlet_wasm_bg.wasm" -o "$OUT.tmp/inlet_wasm_bg.opt.wasm"
mv "$OUT.tmp/inlet_wasm_bg.opt.wasm" "$OUT.tmp/inlet_wasm_bg.wasm"
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
printf 'wasm: %s bytes, %s gzipped\n' "$(stat -c %s "$OUT/inlet_wasm_bg.wasm")" "$(gzip -9c "$OUT/inlet_wasm_bg.wasm" | wc -c)"
