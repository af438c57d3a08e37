#!/usr/bin/env bash
# Load benchmark: starts the release build on a fresh SQLite database with the demo data and
# measures requests/s and latency percentiles with oha (from crates.io). Results are written to
# bench-results/ and printed.
source "$(dirname "$0")/env.sh"
export PROFILE=release
BIN="$CARGO_TARGET_DIR/release/hospitallink"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh"
cargo build --release -p server --example auth_bench
if ! command -v oha >/dev/null; then
  log "installing oha"
  cargo install oha --locked || cargo install oha
fi

PORT="${BENCH_PORT:-3200}"
DURATION="${BENCH_DURATION:-15s}"
CONNECTIONS="${BENCH_CONNECTIONS:-50}"
DATA="$(mktemp -d /tmp/hospitallink-bench.XXXXXX)"
# The sign-in limits are lifted so the run measures throughput, not the limiter (all load comes
# from one address).
export RATE_LIMIT_LOGIN_PER_IP=1000000 RATE_LIMIT_LOGIN_PER_ACCOUNT=1000000 RATE_LIMIT_OTP_PER_IP=1000000
env -u DATABASE_URL APP_ENV=development APP_PORT="$PORT" DATA_DIR="$DATA" SEED_DEMO=true \
  LEPTOS_SITE_ROOT="$SITE" RUST_LOG=warn "$BIN" serve >"$DATA/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.2; done

mkdir -p bench-results
OUT="bench-results/$(date -u +%Y%m%dT%H%M%SZ).txt"
{
  echo "HospitalLink load run: $(date -u), $(nproc) cores, $CONNECTIONS connections, $DURATION per endpoint, release build, SQLite"
  for path in /health / /api/v1/hospitals; do
    oha --no-tui -z "$DURATION" -c "$CONNECTIONS" --latency-correction --output-format json \
      "http://127.0.0.1:$PORT$path" > "$DATA/r.json"
    python3 - "$path" "$DATA/r.json" <<'PY'
import json, sys
path, f = sys.argv[1], sys.argv[2]
d = json.load(open(f))
s, p = d["summary"], d["latencyPercentiles"]
codes = d.get("statusCodeDistribution", {})
print(f"{path:22} {s['requestsPerSec']:9.0f} req/s   p50 {p['p50']*1000:7.2f} ms   p99 {p['p99']*1000:7.2f} ms   success {s['successRate']*100:.1f}%   status {codes}")
PY
  done
} | tee "$OUT"
{
  env -u DATABASE_URL APP_ENV=development DATA_DIR="$DATA" RUST_LOG=warn \
    BENCH_URL="http://127.0.0.1:$PORT" "$CARGO_TARGET_DIR/release/examples/auth_bench"
} | tee -a "$OUT"
