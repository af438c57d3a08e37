#!/usr/bin/env bash
# Indicator timings on the large synthetic network (100,000 patients, about 2 million
# records), on SQLite and on PostgreSQL: the whole report of Kisumu and each of its queries
# with the plan of the slowest (`hospitallink indicators --profile`), then over HTTP the
# report, every drill-down list, a CSV, the dashboard page and the network view, each the
# median of 5 requests. Release build.
#
#   BENCH_PATIENTS=100000 scripts/bench-indicators.sh [sqlite|postgres|both]
#
# With BENCH_REUSE=1 the seeded databases are kept and shared with scripts/bench-chart.sh
# (SQLite under ~/.cache/hospitallink/bench-sqlite, PostgreSQL database hl_bench).
source "$(dirname "$0")/env.sh"
export PROFILE=release
BIN="$CARGO_TARGET_DIR/release/hospitallink"
BACKENDS="${1:-both}"
PATIENTS="${BENCH_PATIENTS:-100000}"
PORT="${BENCH_PORT:-3200}"
PG_ADMIN="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
PASSWORD="hospitallink-demo-2026"
PERIOD_START="${BENCH_PERIOD_START:-2025-10-01}"
PERIOD_END="${BENCH_PERIOD_END:-2026-09-30}"
# The network view reads whole calendar quarters: the period's last.
QUARTER_START="${BENCH_QUARTER_START:-2026-07-01}"

if [ "${BENCH_SKIP_BUILD:-}" != 1 ]; then
  "$ROOT/scripts/setup.sh"
  "$ROOT/scripts/build.sh"
fi
source "$ROOT/scripts/bench-data.sh"
# The sign-in limits are lifted: every sign-in comes from one address.
export RATE_LIMIT_LOGIN_PER_IP=1000000 RATE_LIMIT_LOGIN_PER_ACCOUNT=1000000
mkdir -p bench-results
OUT="bench-results/indicators-$(date -u +%Y%m%dT%H%M%SZ).txt"

# Signs a demo admin in through the forms and prints the session cookie: enrols the second
# factor on a fresh database and keeps its secret beside the data, or uses the kept secret.
session() { # email, secret file
  python3 - "http://127.0.0.1:$PORT" "$1" "$PASSWORD" "$2" <<'PY'
import base64, hashlib, hmac, http.cookiejar, os, re, struct, sys, time, urllib.parse, urllib.request
base, email, password, kept = sys.argv[1:]
jar = http.cookiejar.CookieJar()
web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
def post(path, form):
    return web.open(base + path, urllib.parse.urlencode(form).encode()).read().decode()
def code(secret):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), hashlib.sha1).digest()
    o = mac[-1] & 15
    return "%06d" % ((struct.unpack(">I", mac[o:o + 4])[0] & 0x7FFFFFFF) % 1000000)
page = post("/login", {"email": email, "password": password})
found = re.search(r'id="totp-secret"[^>]*>([A-Z2-7]+)<', page)
if found:
    open(kept, "w").write(found.group(1))
    assert "recovery-codes" in post("/account/mfa", {"code": code(found.group(1))}), "enrolment failed"
else:
    post("/login/mfa", {"code": code(open(kept).read().strip())})
print("; ".join(f"{c.name}={c.value}" for c in jar))
PY
}

# The median time of 5 requests, in ms (one warm-up first).
median() { # cookie, path
  local times=()
  curl -fs -o /dev/null -H "cookie: $1" "http://127.0.0.1:$PORT$2"
  for _ in 1 2 3 4 5; do
    times+=("$(curl -fs -o /dev/null -w '%{time_total}' -H "cookie: $1" "http://127.0.0.1:$PORT$2")")
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n 3p | awk '{printf "%8.1f ms", $1 * 1000}'
}

run_backend() {
  local backend="$1" first
  bench_database "$backend"
  local data="$BENCH_DATA" db_url="$BENCH_DB_URL" envs=("${BENCH_ENVS[@]}")
  local counts
  if [ "$backend" = postgres ]; then
    counts=$(psql "$db_url" -Atc "select (select count(*) from patients) || ' patients, ' || (select count(*) from clinical_records) || ' records'")
  else
    counts=$(python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(f\"{c.execute('select count(*) from patients').fetchone()[0]} patients, {c.execute('select count(*) from clinical_records').fetchone()[0]} records\")" "$data/hospitallink.db")
  fi
  {
    echo "== $backend: $counts; period $PERIOD_START to $PERIOD_END"
    # Twice: the first run reads the pages from disk, the second from the page cache.
    first=$(env "${envs[@]}" "$BIN" indicators --hospital KSM --period-start "$PERIOD_START" --period-end "$PERIOD_END" --profile)
    echo "first run: $(grep -m1 'whole report' <<<"$first")"
    env "${envs[@]}" "$BIN" indicators --hospital KSM --period-start "$PERIOD_START" --period-end "$PERIOD_END" --profile
  } | tee -a "$OUT"

  env "${envs[@]}" APP_PORT="$PORT" "$BIN" serve >"$data/server.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.2; done
  local admin platform q="period_start=$PERIOD_START&period_end=$PERIOD_END"
  admin=$(session "admin.ksm@hospitallink.example" "$data/totp-admin-ksm")
  platform=$(session "admin@hospitallink.example" "$data/totp-admin")
  {
    echo "   over HTTP (median of 5):"
    echo "   GET /api/v1/indicators (every indicator)   $(median "$admin" "/api/v1/indicators?$q")"
    for m in enrolled tx_curr tx_new tx_pvls_d tx_pvls_n tx_ml tx_rtt; do
      printf '   GET /api/v1/indicators/%-10s/patients %s\n' "$m" "$(median "$admin" "/api/v1/indicators/$m/patients?$q")"
    done
    echo "   GET /api/v1/indicators/tx_pvls_d/csv       $(median "$admin" "/api/v1/indicators/tx_pvls_d/csv?$q")"
    echo "   GET /dashboard (report + worklist counts)  $(median "$admin" "/dashboard?$q")"
    echo "   GET /api/v1/indicators/network (quarter)   $(median "$platform" "/api/v1/indicators/network?period_start=$QUARTER_START&period_end=$PERIOD_END")"
  } | tee -a "$OUT"

  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  bench_cleanup "$backend"
}

echo "HospitalLink indicator timings: $(date -u), $(nproc) cores, release build" | tee "$OUT"
case "$BACKENDS" in
  sqlite | postgres) run_backend "$BACKENDS" ;;
  both) run_backend sqlite; run_backend postgres ;;
  *) echo "usage: $0 [sqlite|postgres|both]" >&2; exit 2 ;;
esac
echo "written to $OUT"
