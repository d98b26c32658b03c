#!/usr/bin/env bash
# Builds the console's browser side with plain cargo (no cargo-leptos): CSS from encre-css, the hydrate
# wasm through wasm-bindgen, and the public assets, into target/site (the server's site_root).
set -euo pipefail
cd "$(dirname "$0")/.."
SITE=target/site
cargo run -q -p style
cargo build -q -p frontend --lib --target wasm32-unknown-unknown
mkdir -p "$SITE/pkg"
wasm-bindgen --target web --no-typescript --out-dir "$SITE/pkg" --out-name console \
  target/wasm32-unknown-unknown/debug/frontend.wasm
# LEPTOS_OUTPUT_NAME is set at compile time, so the page asks for console.wasm (BUILD.md pitfall 6).
mv "$SITE/pkg/console_bg.wasm" "$SITE/pkg/console.wasm"
cp -r public/. "$SITE/"
{ cat style/generated.css; grep -v '^@import' style/main.css; } > "$SITE/pkg/console.css"
