#!/usr/bin/env bash
# Load run of the clinician's two hot paths on a large synthetic network: the records API
# (`GET /api/v1/patients/{id}/records`) and the chart page (`GET /patients/{id}`, server
# rendered, 4-5 audited reads), each at BENCH_CONNECTIONS concurrent clients over random
# patients, on SQLite and on PostgreSQL. Release build; oha from crates.io.
#
#   BENCH_PATIENTS=100000 scripts/bench-chart.sh [sqlite|postgres|both]
#
# Results are written to bench-results/ and printed. With BENCH_REUSE=1 the seeded databases
# are kept (SQLite under ~/.cache/hospitallink/bench-sqlite, PostgreSQL database hl_bench) and
# reused by the next run, which then skips seeding.
source "$(dirname "$0")/env.sh"
export PROFILE=release
BIN="$CARGO_TARGET_DIR/release/hospitallink"
BACKENDS="${1:-both}"
PATIENTS="${BENCH_PATIENTS:-100000}"
PORT="${BENCH_PORT:-3200}"
DURATION="${BENCH_DURATION:-20s}"
CONNECTIONS="${BENCH_CONNECTIONS:-50}"
PG_ADMIN="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PASSWORD="hospitallink-demo-2026"
CLINICIAN="clinician.ksm@hospitallink.example"

if [ "${BENCH_SKIP_BUILD:-}" != 1 ]; then
  "$ROOT/scripts/setup.sh"
  "$ROOT/scripts/build.sh"
fi
if ! command -v oha >/dev/null; then
  log "installing oha"
  cargo install oha --locked || cargo install oha
fi
source "$ROOT/scripts/bench-data.sh"
mkdir -p bench-results
OUT="bench-results/chart-$(date -u +%Y%m%dT%H%M%SZ).txt"

# The sign-in limits are lifted: all load comes from one address.
export RATE_LIMIT_LOGIN_PER_IP=1000000 RATE_LIMIT_LOGIN_PER_ACCOUNT=1000000

summarise() { # label, oha json
  python3 - "$1" "$2" <<'PY'
import json, sys
label, f = sys.argv[1], sys.argv[2]
d = json.load(open(f))
s, p = d["summary"], d["latencyPercentiles"]
codes = d.get("statusCodeDistribution", {})
print(f"{label:34} {s['requestsPerSec']:8.1f} req/s   p50 {p['p50']*1000:8.2f} ms   p99 {p['p99']*1000:8.2f} ms   status {codes}")
if set(codes) != {"200"}:
    sys.exit(f"{label}: answers other than 200: {codes}")
PY
}

run_backend() {
  local backend="$1"
  bench_database "$backend"
  local data="$BENCH_DATA" db_url="$BENCH_DB_URL" envs=("${BENCH_ENVS[@]}")
  local seed_note="$BENCH_SEED_NOTE"
  local records
  if [ "$backend" = postgres ]; then
    records=$(psql "$db_url" -Atc "select count(*) from clinical_records")
  else
    records=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from clinical_records').fetchone()[0])" "$data/hospitallink.db")
  fi

  env "${envs[@]}" APP_PORT="$PORT" "$BIN" serve >"$data/server.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.2; done

  # A bearer token for the API and a session cookie for the page, both the clinician's.
  local token
  token=$(curl -fs -H 'content-type: application/json' \
    -d "{\"email\":\"$CLINICIAN\",\"password\":\"$PASSWORD\"}" \
    "http://127.0.0.1:$PORT/api/v1/auth/admin/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -fs -o /dev/null -c "$data/cookies" --data-urlencode "email=$CLINICIAN" --data-urlencode "password=$PASSWORD" \
    "http://127.0.0.1:$PORT/login"
  local cookie
  cookie=$(awk '$6 ~ /hl_session/ {print $6"="$7}' "$data/cookies")

  # 300 patients of the clinician's hospital, spread over its list.
  local ids=""
  for page in 1 50 100; do
    ids+=$(curl -fs -H "authorization: Bearer $token" "http://127.0.0.1:$PORT/api/v1/patients?per_page=100&page=$page" |
      python3 -c 'import json,sys; print("|".join(p["id"] for p in json.load(sys.stdin)["data"]))')"|"
  done
  ids="${ids%|}"
  # The URL is a regex for oha: dots as classes (oha mangles escaped ones).
  local base="http://127[.]0[.]0[.]1:$PORT"

  {
    echo "== $backend: $(grep -ho 'added [0-9]* synthetic patients with [0-9]* records in [0-9.]* s' "$data/seed.txt" || true); $records clinical records in all; $seed_note"
    oha --no-tui -z "$DURATION" -c "$CONNECTIONS" --latency-correction --output-format json \
      -H "authorization: Bearer $token" --rand-regex-url "$base/api/v1/patients/($ids)/records" >"$data/api.json"
    summarise "GET /api/v1/patients/{id}/records" "$data/api.json"
    oha --no-tui -z "$DURATION" -c "$CONNECTIONS" --latency-correction --output-format json \
      -H "cookie: $cookie" --rand-regex-url "$base/patients/($ids)" >"$data/chart.json"
    summarise "GET /patients/{id} (chart page)" "$data/chart.json"
  } | tee -a "$OUT"

  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  bench_cleanup "$backend"
}

echo "HospitalLink chart load run: $(date -u), $(nproc) cores, $CONNECTIONS connections, $DURATION per endpoint, release build" | tee "$OUT"
case "$BACKENDS" in
  sqlite | postgres) run_backend "$BACKENDS" ;;
  both) run_backend sqlite; run_backend postgres ;;
  *) echo "usage: $0 [sqlite|postgres|both]" >&2; exit 2 ;;
esac
echo "written to $OUT"
