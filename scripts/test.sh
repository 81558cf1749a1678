#!/usr/bin/env bash
# The whole suite twice: on PostgreSQL (real server), then on SQLite, each spread over the machine's cores
# (pytest-xdist: every worker has its own test database and its own Redis database). Redis tests use the
# real server and fakeredis[lua] in both runs. Arguments are passed to pytest (e.g. -n 0 to run serially).
set -euo pipefail
BIN=.venv/bin
export AFTERCARE_ENV=testing
echo "== PostgreSQL =="
AFTERCARE_TEST_DB=postgresql "$BIN/pytest" -n auto --dist worksteal "$@"
echo "== SQLite =="
AFTERCARE_TEST_DB=sqlite "$BIN/pytest" -n auto --dist worksteal "$@"
