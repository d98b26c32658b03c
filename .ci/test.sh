#!/usr/bin/env bash
# Every test: Rust unit + integration tests (store tests also on PostgreSQL when PALISADE_TEST_PG_URL is
# set), benches in smoke mode, the OpenAPI document's validation, then the browser journeys and the SDK
# conformance run (end2end/sdk) against one freshly started server.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo test (workspace, host crates)"
cargo test --workspace --exclude frontend --all-targets

echo "== OpenAPI document (openapi-spec-validator)"
bash .ci/openapi.sh

echo "== console site + server build"
bash .ci/build-site.sh
cargo build -q -p server

echo "== browser journeys (Debian Chromium)"
E2E_DIR=$(mktemp -d)
PORT=${E2E_PORT:-3900}
export BASE_URL="http://127.0.0.1:${PORT}"
PALISADE_DATABASE_URL="sqlite://${E2E_DIR}/palisade.db?mode=rwc" \
PALISADE_SERVER_LISTEN="127.0.0.1:${PORT}" \
PALISADE_SERVER_PUBLIC_URL="${BASE_URL}" \
PALISADE_SERVER_SECURE_COOKIES=false \
PALISADE_BOOTSTRAP_EMAIL=owner@example.com \
PALISADE_BOOTSTRAP_PASSWORD=owner-password-123 \
  ./target/debug/palisade serve > "${E2E_DIR}/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$E2E_DIR"' EXIT
set +e
(cd end2end && node run.mjs)
RC=$?
echo "== SDK conformance (official openai SDKs, Python and Node)"
bash end2end/sdk/run.sh "$BASE_URL" || RC=1
set -e
if [ $RC -ne 0 ]; then echo "--- server log"; tail -50 "${E2E_DIR}/server.log"; fi
exit $RC
