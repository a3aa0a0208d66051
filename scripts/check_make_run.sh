#!/usr/bin/env bash
# CI's newcomer check: `make run` from this clone, as a newcomer runs it (laptop defaults, a
# fresh SQLite file), on a free port; then a few pages and the demo logins; then stop it.
set -euo pipefail
cd "$(dirname "$0")/.."

port=8100
while ! scripts/tools.sh port-free "$port"; do port=$((port + 1)); done
work=$(mktemp -d)
log="$work/make-run.log"

# Its own process group, so stopping it also stops runserver's autoreloader child.
env -u REDIS_URL -u CELERY_BROKER_URL -u DEBUG -u EMAIL_URL -u PAGE_CACHE_SECONDS \
  DATABASE_URL="sqlite:///$work/db.sqlite3" PORT="$port" \
  setsid make run >"$log" 2>&1 &
pid=$!
stop() { kill -- -"$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap stop EXIT

echo "make run: waiting for http://127.0.0.1:$port/ (log: $log)"
for _ in $(seq 600); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "make run stopped before serving."; exit 1; }
  sleep 1
done
.venv/bin/python scripts/check_newcomer.py "http://127.0.0.1:$port" || { cat "$log"; exit 1; }
