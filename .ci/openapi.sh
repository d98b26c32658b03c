#!/usr/bin/env bash
# Validates server/src/api/openapi.json (served at GET /api/openapi.json) with openapi-spec-validator from
# PyPI, in a venv under end2end/ (end2end/.venv when it exists, else end2end/.venv-openapi).
# `--install` only creates the venv and installs the validator (called by .ci/setup.sh --test); idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=end2end/.venv-openapi
if [ -x end2end/.venv/bin/python ]; then VENV=end2end/.venv; fi
if [ ! -x "${VENV}/bin/openapi-spec-validator" ]; then
  [ -x "${VENV}/bin/python" ] || python3 -m venv "${VENV}"
  "${VENV}/bin/python" -m pip install -q --disable-pip-version-check openapi-spec-validator
fi
if [ "${1:-}" = "--install" ]; then exit 0; fi
"${VENV}/bin/openapi-spec-validator" server/src/api/openapi.json
