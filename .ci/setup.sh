#!/usr/bin/env bash
# Installs what building and testing Palisade needs on a fresh machine; idempotent and quiet when done.
# Registries only (crates, npm, PyPI, Debian): nothing here downloads binaries from GitHub.
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
  if [ ! -d end2end/node_modules/playwright-core ] || [ ! -d end2end/node_modules/openai ]; then
    (cd end2end && npm ci --no-audit --no-fund --loglevel=error)
  fi
  # The Python half of the SDK conformance run (end2end/sdk/run.sh): the official `openai` package.
  if ! end2end/.venv/bin/python -c 'import openai' 2>/dev/null; then
    python3 -m venv end2end/.venv
    end2end/.venv/bin/pip install -q --disable-pip-version-check 'openai>=1.40,<4'
  fi
  bash .ci/openapi.sh --install
fi
