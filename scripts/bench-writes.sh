#!/usr/bin/env bash
# Load run of record writes: `POST /api/v1/patients/{id}/records` (an adherence note, one
# audited write transaction each) over the demo network's Kisumu patients, at 10 and at 50
# concurrent clients. Release build; oha from crates.io.
#
#   scripts/bench-writes.sh [sqlite|postgres|both]
#
# BENCH_BIN runs another build of the server (to compare two builds side by side),
# BENCH_DURATION (default 20s) and BENCH_CLIENTS (default "10 50") change the run. Results are
# written to bench-results/ and printed.
source "$(dirname "$0")/env.sh"
export PROFILE=release
BIN="${BENCH_BIN:-$CARGO_TARGET_DIR/release/hospitallink}"
BACKENDS="${1:-sqlite}"
PORT="${BENCH_PORT:-3300}"
DURATION="${BENCH_DURATION:-20s}"
CLIENTS="${BENCH_CLIENTS:-10 50}"
PG_ADMIN="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PASSWORD="hospitallink-demo-2026"
CLINICIAN="clinician.ksm@hospitallink.example"

if [ -z "${BENCH_BIN:-}" ] && [ "${BENCH_SKIP_BUILD:-}" != 1 ]; then
  cargo build --release -p server
fi
if ! command -v oha >/dev/null; then
  log "installing oha"
  cargo install oha --locked || cargo install oha
fi
mkdir -p bench-results
OUT="bench-results/writes-$(date -u +%Y%m%dT%H%M%SZ).txt"

summarise() { # label, oha json
  python3 - "$1" "$2" <<'PY'
import json, sys
label, f = sys.argv[1], sys.argv[2]
d = json.load(open(f))
s, p = d["summary"], d["latencyPercentiles"]
codes = d.get("statusCodeDistribution", {})
print(f"{label:44} {s['requestsPerSec']:8.1f} req/s   p50 {p['p50']*1000:8.2f} ms   p99 {p['p99']*1000:8.2f} ms   max {s['slowest']*1000:8.2f} ms   status {codes}")
if set(codes) != {"201"}:
    sys.exit(f"{label}: answers other than 201: {codes}")
PY
}

run_backend() {
  local backend="$1" data db_url
  data="$(mktemp -d /tmp/hospitallink-bench-writes.XXXXXX)"
  if [ "$backend" = postgres ]; then
    db_url="${PG_ADMIN%/*}/hl_bench_writes"
    psql "$PG_ADMIN" -qc "drop database if exists hl_bench_writes with (force)" >/dev/null
    psql "$PG_ADMIN" -qc "create database hl_bench_writes" >/dev/null
  else
    db_url="sqlite:$data/hospitallink.db"
  fi
  env APP_ENV=development DATA_DIR="$data" DATABASE_URL="$db_url" LEPTOS_SITE_ROOT="$SITE" \
    SEED_DEMO=true RUST_LOG=warn APP_PORT="$PORT" "$BIN" serve >"$data/server.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.2; done

  local token ids
  token=$(curl -fs -H 'content-type: application/json' \
    -d "{\"email\":\"$CLINICIAN\",\"password\":\"$PASSWORD\"}" \
    "http://127.0.0.1:$PORT/api/v1/auth/admin/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  ids=$(curl -fs -H "authorization: Bearer $token" "http://127.0.0.1:$PORT/api/v1/patients?per_page=100" |
    python3 -c 'import json,sys; print("|".join(p["id"] for p in json.load(sys.stdin)["data"]))')
  # The URL is a regex for oha: dots as classes (oha mangles escaped ones).
  local base="http://127[.]0[.]0[.]1:$PORT"
  {
    for c in $CLIENTS; do
      oha --no-tui -z "$DURATION" -c "$c" --latency-correction --output-format json -m POST \
        -H "authorization: Bearer $token" -T application/json \
        -d '{"record_type":"adherence_note","payload":{"text":"Took every dose this month"}}' \
        --rand-regex-url "$base/api/v1/patients/($ids)/records" >"$data/writes-$c.json"
      summarise "$backend: POST records, $c clients" "$data/writes-$c.json"
    done
  } | tee -a "$OUT"
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  rm -rf "$data"
  if [ "$backend" = postgres ]; then psql "$PG_ADMIN" -qc "drop database if exists hl_bench_writes with (force)" >/dev/null; fi
}

echo "HospitalLink write load run: $(date -u), $(nproc) cores, $DURATION per run, $BIN" | tee "$OUT"
case "$BACKENDS" in
  sqlite | postgres) run_backend "$BACKENDS" ;;
  both) run_backend sqlite; run_backend postgres ;;
  *) echo "usage: $0 [sqlite|postgres|both]" >&2; exit 2 ;;
esac
echo "written to $OUT"
