# The large synthetic network the benchmarks of scripts/bench-chart.sh and
# scripts/bench-indicators.sh run on; sourced by both, after env.sh, with BIN, PATIENTS,
# PG_ADMIN and SITE set.
#
# `bench_database BACKEND` (sqlite or postgres) sets BENCH_DATA (the data directory),
# BENCH_DB_URL, BENCH_ENVS (what the server runs with) and BENCH_SEED_NOTE, seeding the demo
# network and PATIENTS synthetic patients first unless BENCH_REUSE=1 finds them seeded already
# (SQLite under ~/.cache/hospitallink/bench-sqlite, PostgreSQL database hl_bench). A freshly
# seeded PostgreSQL database is vacuumed and analysed, as autovacuum does after a bulk load.
# `bench_cleanup BACKEND` removes them again unless BENCH_REUSE=1.

bench_database() {
  local backend="$1" seeded=""
  if [ -n "${BENCH_REUSE:-}" ]; then
    BENCH_DATA="$HOME/.cache/hospitallink/bench-$backend"
    mkdir -p "$BENCH_DATA"
    if [ -f "$BENCH_DATA/seeded" ]; then seeded=1; fi
  else
    BENCH_DATA="$(mktemp -d /tmp/hospitallink-bench.XXXXXX)"
  fi
  if [ "$backend" = postgres ]; then
    BENCH_DB_URL="${PG_ADMIN%/*}/hl_bench"
    if [ -z "$seeded" ]; then
      psql "$PG_ADMIN" -qc "drop database if exists hl_bench with (force)" >/dev/null
      psql "$PG_ADMIN" -qc "create database hl_bench" >/dev/null
    fi
  else
    BENCH_DB_URL="sqlite:$BENCH_DATA/hospitallink.db"
  fi
  BENCH_ENVS=(APP_ENV=development DATA_DIR="$BENCH_DATA" DATABASE_URL="$BENCH_DB_URL"
    LEPTOS_SITE_ROOT="$SITE" RUST_LOG=warn)
  BENCH_SEED_NOTE="reused from an earlier run"
  if [ -z "$seeded" ]; then
    log "$backend: seeding the demo network and $PATIENTS synthetic patients"
    local started=$SECONDS
    env "${BENCH_ENVS[@]}" "$BIN" seed-demo --patients "$PATIENTS" | tee "$BENCH_DATA/seed.txt"
    if [ "$backend" = postgres ]; then psql "$BENCH_DB_URL" -qc "vacuum analyze"; fi
    BENCH_SEED_NOTE="seeded in $((SECONDS - started)) s"
    touch "$BENCH_DATA/seeded"
  fi
}

bench_cleanup() {
  if [ -z "${BENCH_REUSE:-}" ]; then
    rm -rf "$BENCH_DATA"
    if [ "$1" = postgres ]; then
      psql "$PG_ADMIN" -qc "drop database if exists hl_bench with (force)" >/dev/null
    fi
  fi
}
