#!/usr/bin/env bash
# Sets everything up with the dev tools, then runs ruff, mypy and the test suite.
# Arguments go to pytest. TEST_DATABASE_URL=postgres://... also runs the database
# tests on PostgreSQL (each run creates and drops its own throwaway database).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
export HF_HUB_OFFLINE=1
echo "== ruff"
.venv/bin/ruff check .
echo "== mypy"
.venv/bin/mypy
echo "== pytest"
# pytest exits 5 when it collected no test: that must fail, and it does, since only 0 passes.
.venv/bin/python -m pytest "$@"
