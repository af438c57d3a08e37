#!/usr/bin/env bash
# Instructions per request of the clinician's two hot paths, counted by valgrind's callgrind on
# the release server over the demo network (200 patients): the records API
# (`GET /api/v1/patients/{id}/records`) and the chart page (`GET /patients/{id}`).
# Instruction counts are repeatable for the same binary and data, unlike wall-clock load runs
# on a shared 2-core machine, so this is the number to compare two builds by.
#
#   PROFILE_REQUESTS=100 scripts/profile.sh [api|chart|both]
#
# Prints the instructions per request and writes callgrind files to bench-results/ (read them
# with `callgrind_annotate --inclusive=yes FILE`). Set PROFILE_SKIP_BUILD=1 to use the release
# binary as it is.
source "$(dirname "$0")/env.sh"
export PROFILE=release
BIN="$CARGO_TARGET_DIR/release/hospitallink"
WHAT="${1:-both}"
REQUESTS="${PROFILE_REQUESTS:-100}"
PORT="${PROFILE_PORT:-3300}"
PASSWORD="hospitallink-demo-2026"
CLINICIAN="clinician.ksm@hospitallink.example"
# What oha sends, so compression is counted as in the load runs.
ENCODING="gzip, compress, deflate, br"

command -v valgrind >/dev/null || { echo "valgrind is needed (Debian package valgrind)" >&2; exit 2; }
if [ "${PROFILE_SKIP_BUILD:-}" != 1 ]; then
  "$ROOT/scripts/setup.sh"
  "$ROOT/scripts/build.sh"
fi
DATA="$(mktemp -d /tmp/hospitallink-profile.XXXXXX)"
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$DATA"
}
trap cleanup EXIT
export RATE_LIMIT_LOGIN_PER_IP=1000000 RATE_LIMIT_LOGIN_PER_ACCOUNT=1000000
envs=(APP_ENV=development DATA_DIR="$DATA" DATABASE_URL="sqlite:$DATA/hospitallink.db" LEPTOS_SITE_ROOT="$SITE" RUST_LOG=warn)
env "${envs[@]}" "$BIN" seed-demo >/dev/null
mkdir -p bench-results

profile() { # api|chart
  local what="$1" out
  out="$ROOT/bench-results/callgrind-$what-$(date -u +%Y%m%dT%H%M%SZ).out"
  env "${envs[@]}" APP_PORT="$PORT" valgrind --tool=callgrind --callgrind-out-file="$out" \
    "$BIN" serve >"$DATA/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 600); do curl -fs "http://127.0.0.1:$PORT/ready" >/dev/null && break; sleep 0.5; done
  local token cookie ids
  token=$(curl -fs -H 'content-type: application/json' \
    -d "{\"email\":\"$CLINICIAN\",\"password\":\"$PASSWORD\"}" \
    "http://127.0.0.1:$PORT/api/v1/auth/admin/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -fs -o /dev/null -c "$DATA/cookies" --data-urlencode "email=$CLINICIAN" --data-urlencode "password=$PASSWORD" \
    "http://127.0.0.1:$PORT/login"
  cookie=$(awk '$6 ~ /hl_session/ {print $6"="$7}' "$DATA/cookies")
  ids=$(curl -fs -H "authorization: Bearer $token" "http://127.0.0.1:$PORT/api/v1/patients?per_page=100" |
    python3 -c 'import json,sys; print(" ".join(p["id"] for p in json.load(sys.stdin)["data"]))')
  # Warm up (first-use allocations, prepared statements), then count only the measured requests.
  local urls=() n=0
  for id in $ids; do
    if [ "$what" = api ]; then urls+=("http://127.0.0.1:$PORT/api/v1/patients/$id/records"); else urls+=("http://127.0.0.1:$PORT/patients/$id"); fi
  done
  local auth=(-H "authorization: Bearer $token")
  if [ "$what" = chart ]; then auth=(-H "cookie: $cookie"); fi
  for url in "${urls[@]:0:20}"; do curl -fs -o /dev/null -H "accept-encoding: $ENCODING" "${auth[@]}" "$url"; done
  callgrind_control -z "$PID" >/dev/null
  while [ "$n" -lt "$REQUESTS" ]; do
    curl -fs -o /dev/null -H "accept-encoding: $ENCODING" "${auth[@]}" "${urls[$((n % ${#urls[@]}))]}"
    n=$((n + 1))
  done
  callgrind_control -d "$PID" >/dev/null
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  # The dump taken after the measured requests is the file with the highest part number.
  local dump
  dump=$(ls -1 "$out".* 2>/dev/null | sort -t. -k2 -n | tail -1)
  python3 - "$what" "$REQUESTS" "$dump" <<'PY'
import re, sys
what, n, f = sys.argv[1], int(sys.argv[2]), sys.argv[3]
total = None
for line in open(f):
    m = re.match(r"summary:\s+(\d+)", line) or re.match(r"totals:\s+(\d+)", line)
    if m:
        total = int(m.group(1))
print(f"{what:6} {total / n / 1e6:7.2f} M instructions per request ({n} requests; {f})")
PY
}

case "$WHAT" in
  api | chart) profile "$WHAT" ;;
  both) profile api; profile chart ;;
  *) echo "usage: $0 [api|chart|both]" >&2; exit 2 ;;
esac
