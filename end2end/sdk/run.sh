#!/usr/bin/env bash
# SDK conformance: the official OpenAI SDKs (Python `openai`, npm `openai`) against a running Palisade.
# Usage: end2end/sdk/run.sh <base_url>   e.g. end2end/sdk/run.sh http://127.0.0.1:3901
# Creates its own Developer and relay key through the API (as the bootstrap Owner, owner@example.com by
# default), runs both suites, and exits non-zero when either fails. Leaves the workspace at `balanced`.
# Needs: end2end/node_modules (npm ci) and the Python package `openai` in end2end/.venv (.ci/setup.sh --test)
# or in the python3 on PATH.
set -euo pipefail
cd "$(dirname "$0")"
BASE="${1:?usage: end2end/sdk/run.sh <base_url>}"
export PALISADE_BASE_URL="${BASE%/}" BASE_URL="${BASE%/}"
PYTHON=python3
[ -x ../.venv/bin/python ] && PYTHON=../.venv/bin/python

# The server may still be starting (CI starts it right before).
for _ in $(seq 1 60); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "${PALISADE_BASE_URL}/v1/models")" = 401 ] && break
  sleep 1
done

eval "$(node setup.mjs)"
export PALISADE_EMAIL PALISADE_PASSWORD PALISADE_KEY

RC=0
echo "-- python (official openai SDK)"
"$PYTHON" test_openai_python.py || RC=1
echo "-- node (official openai SDK)"
node test_openai_node.mjs || RC=1
[ $RC -eq 0 ] && echo "SDK conformance: all passed" || echo "SDK conformance: FAILED"
exit $RC
