#!/usr/bin/env bash
# Sync benchmark: an integration client uploads 10,000 records in 20 batches of 500 (after one
# batch of the 100 patients they belong to), then reads the whole changes feed of its hospital
# (pages of 1,000) after Kisumu is seeded with synthetic histories (SYNC_BENCH_PATIENTS, default
# 5,000 patients: about 100,000 records). Items per second and the server's peak memory
# (VmHWM), on SQLite and/or PostgreSQL. Release build.
#
#   scripts/bench-sync.sh [sqlite|postgres|both]
source "$(dirname "$0")/env.sh"
export PROFILE=release
BIN="${BENCH_BIN:-$CARGO_TARGET_DIR/release/hospitallink}"
BACKENDS="${1:-sqlite}"
PORT="${BENCH_PORT:-3310}"
PATIENTS="${SYNC_BENCH_PATIENTS:-5000}"
PG_ADMIN="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

if [ -z "${BENCH_BIN:-}" ] && [ "${BENCH_SKIP_BUILD:-}" != 1 ]; then
  cargo build --release -p server
fi
mkdir -p bench-results
OUT="bench-results/sync-$(date -u +%Y%m%dT%H%M%SZ).txt"

run_backend() {
  local backend="$1" data db_url
  data="$(mktemp -d /tmp/hospitallink-bench-sync.XXXXXX)"
  if [ "$backend" = postgres ]; then
    db_url="${PG_ADMIN%/*}/hl_bench_sync"
    psql "$PG_ADMIN" -qc "drop database if exists hl_bench_sync with (force)" >/dev/null
    psql "$PG_ADMIN" -qc "create database hl_bench_sync" >/dev/null
  else
    db_url="sqlite:$data/hospitallink.db"
  fi
  local envs=(APP_ENV=development DATA_DIR="$data" DATABASE_URL="$db_url" LEPTOS_SITE_ROOT="$SITE"
    RUST_LOG=warn APP_PORT="$PORT")
  log "$backend: seeding the demo network with $PATIENTS synthetic patients at Kisumu"
  local t0=$SECONDS
  env "${envs[@]}" "$BIN" seed-demo --patients "$PATIENTS" --hospital KSM >"$data/seed.log" 2>&1
  log "$backend: seeded in $((SECONDS - t0)) s"
  local creds id secret
  creds="$(env "${envs[@]}" "$BIN" clients create --hospital KSM --name "Bench EHR" \
    --scopes "sync patients.read patients.write records.read records.write labs.write")"
  id="$(sed -n 's/^client_id=//p' <<<"$creds")"
  secret="$(sed -n 's/^client_secret=//p' <<<"$creds")"
  env "${envs[@]}" SEED_DEMO=false "$BIN" serve >"$data/server.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.2; done
  BASE="http://127.0.0.1:$PORT" CLIENT_ID="$id" CLIENT_SECRET="$secret" BACKEND="$backend" \
    SERVER_PID="$pid" python3 "$(dirname "$0")/bench/sync.py" | tee -a "$OUT"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$data"
}

case "$BACKENDS" in
  both) run_backend sqlite; run_backend postgres ;;
  sqlite|postgres) run_backend "$BACKENDS" ;;
  *) echo "usage: $0 [sqlite|postgres|both]" >&2; exit 2 ;;
esac
log "results in $OUT"
