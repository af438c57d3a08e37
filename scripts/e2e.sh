#!/usr/bin/env bash
# Browser tests: build the app, start it on a fresh SQLite database, run Playwright in
# Debian's Chromium, stop the app.
# Arguments go to Playwright, e.g. `scripts/e2e.sh patients` runs one file.
source "$(dirname "$0")/env.sh"
"$ROOT/scripts/setup.sh" --browser
"$ROOT/scripts/build.sh"
# The FHIR validator the portal's export test runs on the downloaded file.
FHIR_PYTHON="$("$ROOT/scripts/fhir.sh")"
export FHIR_PYTHON

PORT="${E2E_PORT:-3100}"
DATA="$(mktemp -d /tmp/hospitallink-e2e.XXXXXX)"
# Every browser test signs in from 127.0.0.1, dozens a minute, several as the same demo
# clinician: the password limits per address and per account (30 and 10 a minute by default,
# tested in the Rust tests) and the per-address code limit are raised for this run only.
APP_ENV_VARS=(APP_ENV=development APP_PORT="$PORT" DATA_DIR="$DATA" SEED_DEMO=true LEPTOS_SITE_ROOT="$SITE" RATE_LIMIT_LOGIN_PER_IP=600 RATE_LIMIT_LOGIN_PER_ACCOUNT=100 RATE_LIMIT_OTP_PER_IP=200)
# Platform admins for the browser tests: one keeps a session for registry changes, the others
# each go through enrolment and a TOTP sign-in once (a code is never accepted twice).
for who in registrar totp-js-tablet totp-js-phone totp-nojs-tablet totp-nojs-phone; do
  env -u DATABASE_URL "${APP_ENV_VARS[@]}" "$BIN" admin create \
    --email "e2e-$who@hospitallink.example" --password "end-to-end passphrase 2026" >/dev/null
done
log "starting the app on port $PORT (data in $DATA)"
env -u DATABASE_URL "${APP_ENV_VARS[@]}" "$BIN" serve >"$DATA/server.log" 2>&1 &
PID=$!
cleanup() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null && break
  if ! kill -0 "$PID" 2>/dev/null; then cat "$DATA/server.log"; exit 1; fi
  sleep 0.2
done
log "running the browser tests"
if ! BASE_URL="http://127.0.0.1:$PORT" playwright test -c end2end/playwright.config.ts "$@"; then
  echo "--- server log ---"; tail -50 "$DATA/server.log"; exit 1
fi
