#!/usr/bin/env bash
# Installs what building and testing Palisade needs on a fresh machine; idempotent and quiet when done.
# Registries only (crates, npm, Debian): nothing here downloads binaries from GitHub.
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen pin in Cargo.toml

rustup target list --installed | grep -q '^wasm32-unknown-unknown$' || rustup target add wasm32-unknown-unknown
if ! wasm-bindgen --version 2>/dev/null | grep -q " ${WASM_BINDGEN_VERSION}\$"; then
  # Not --locked: its lockfile pins a crate the registry mirror lacks (BUILD.md pitfall 2).
  cargo install wasm-bindgen-cli --version "${WASM_BINDGEN_VERSION}"
fi
if [ "${1:-}" = "--test" ]; then
  if ! command -v chromium >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  fi
  if [ ! -d end2end/node_modules/playwright-core ]; then
    (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
