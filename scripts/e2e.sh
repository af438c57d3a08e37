#!/usr/bin/env bash
# Browser tests: build the app, start it on a fresh SQLite database, run Playwright in
# Debian's Chromium, stop the app.
source "$(dirname "$0")/env.sh"
"$ROOT/scripts/setup.sh" --browser
"$ROOT/scripts/build.sh"

PORT="${E2E_PORT:-3100}"
DATA="$(mktemp -d /tmp/hospitallink-e2e.XXXXXX)"
log "starting the app on port $PORT (data in $DATA)"
env -u DATABASE_URL APP_ENV=development APP_PORT="$PORT" DATA_DIR="$DATA" SEED_DEMO=true \
  LEPTOS_SITE_ROOT="$SITE" "$BIN" serve >"$DATA/server.log" 2>&1 &
PID=$!
cleanup() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null && break
  if ! kill -0 "$PID" 2>/dev/null; then cat "$DATA/server.log"; exit 1; fi
  sleep 0.2
done
log "running the browser tests"
if ! BASE_URL="http://127.0.0.1:$PORT" playwright test -c end2end/playwright.config.ts; then
  echo "--- server log ---"; tail -50 "$DATA/server.log"; exit 1
fi
