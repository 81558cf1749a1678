#!/usr/bin/env bash
# Serve on http://127.0.0.1:5000. With REDIS_URL set, RQ workers and the `rq cron` process run beside it
# (TZ=UTC: `rq cron` reads cron strings in local time) and stop with it: a forking worker for mail and the
# default queue, a non-forking one for billing chunks (saas.jobs.AppSimpleWorker says why).
set -euo pipefail
BIN=.venv/bin
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM
if [ -n "${REDIS_URL:-}" ]; then
  TZ=UTC "$BIN/rq" worker -w saas.jobs.AppWorker --url "$REDIS_URL" mail default & pids+=($!)
  TZ=UTC "$BIN/rq" worker -w saas.jobs.AppSimpleWorker --url "$REDIS_URL" billing & pids+=($!)
  TZ=UTC "$BIN/rq" cron --url "$REDIS_URL" saas.cron & pids+=($!)
  echo "jobs: RQ workers (mail and default; billing) and rq cron started on $REDIS_URL"
else
  echo "jobs: REDIS_URL is not set, background jobs run inline and the periodic jobs in the web process (docs/operations.md)"
fi
"$BIN/flask" --app wsgi run --host 127.0.0.1 --port "${PORT:-5000}"
