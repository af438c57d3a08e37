#!/usr/bin/env bash
# The contract test: schemathesis (from PyPI) generates requests from the served API document
# and checks every answer against it: no server error, only documented statuses, bodies and
# headers as documented, valid requests accepted and invalid ones refused. It runs three times
# on a fresh demo database, signed in as a clinician, as a patient (the portal's API) and as a
# platform admin, each with a fixed seed and a time budget (CONTRACT_SECONDS, 30 s by default).
# Any failed check fails the run.
# Expects the server binary built (scripts/build.sh).
source "$(dirname "$0")/env.sh"

VENV="${HOSPITALLINK_ST_VENV:-$HOME/.cache/hospitallink/st-venv}"
ST_VERSION=4.32.5
if [ "$("$VENV/bin/st" --version 2>/dev/null | awk '{print $NF}')" != "$ST_VERSION" ]; then
  log "installing schemathesis $ST_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
fi

PORT="${CONTRACT_PORT:-3400}"
BASE="http://127.0.0.1:$PORT"
DATA="$(mktemp -d /tmp/hospitallink-contract.XXXXXX)"
RUN="$(mktemp -d /tmp/hospitallink-contract-run.XXXXXX)"
APP_ENV_VARS=(APP_ENV=development APP_PORT="$PORT" DATA_DIR="$DATA" SEED_DEMO=true)
ADMIN=contract-admin@hospitallink.example
PASSWORD="contract passphrase 2026"
env -u DATABASE_URL "${APP_ENV_VARS[@]}" "$BIN" admin create --email "$ADMIN" --password "$PASSWORD" >/dev/null
env -u DATABASE_URL "${APP_ENV_VARS[@]}" "$BIN" serve >"$DATA/server.log" 2>&1 &
PID=$!
cleanup() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DATA" "$RUN"; }
trap cleanup EXIT
for _ in $(seq 1 100); do
  curl -fs "$BASE/ready" >/dev/null && break
  if ! kill -0 "$PID" 2>/dev/null; then cat "$DATA/server.log"; exit 1; fi
  sleep 0.2
done

# Run from a scratch directory: schemathesis keeps a cache in the working directory.
cp "$ROOT/scripts/contract/schemathesis.toml" "$ROOT/scripts/contract/hooks.py" "$RUN/"
token_for() { "$VENV/bin/python" "$ROOT/scripts/contract/sign_in.py" "$BASE" "$@"; }
run_as() {
  local who="$1" seed="$2" token="$3"
  log "contract test as $who (seed $seed, ${CONTRACT_SECONDS:-30} s)"
  (cd "$RUN" && SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$RUN" "$VENV/bin/st" run "$BASE/api/v1/openapi.json" \
    --seed "$seed" --max-time "${CONTRACT_SECONDS:-30}" \
    -H "Authorization: Bearer $token")
}
# Every sign-in first, on the fresh server: a run's generated requests use up the per-address
# sign-in limits, which would then refuse the next sign-in. (Tokens last 15 minutes; the runs
# take about two.) The admin's token also reads the patient's code from the development outbox.
clinician="$(token_for clinician.ksm@hospitallink.example hospitallink-demo-2026)"
admin="$(token_for "$ADMIN" "$PASSWORD")"
patient="$(token_for --patient amina.odhiambo@example.org "$admin")"
status=0
run_as clinician.ksm@hospitallink.example 101 "$clinician" || status=1
run_as amina.odhiambo@example.org 303 "$patient" || status=1
run_as "$ADMIN" 202 "$admin" || status=1
if [ "$status" != 0 ]; then echo "--- server log ---"; tail -50 "$DATA/server.log"; fi
exit "$status"
