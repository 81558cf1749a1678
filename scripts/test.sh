#!/usr/bin/env bash
# The whole suite twice: on PostgreSQL (real server), then on SQLite. Redis tests use the real server
# and fakeredis[lua] in both runs.
set -euo pipefail
BIN=.venv/bin
export AFTERCARE_ENV=testing
echo "== PostgreSQL =="
AFTERCARE_TEST_DB=postgresql "$BIN/pytest" "$@"
echo "== SQLite =="
AFTERCARE_TEST_DB=sqlite "$BIN/pytest" "$@"
