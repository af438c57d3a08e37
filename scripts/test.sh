#!/usr/bin/env bash
# The test command: formatting, clippy, every Rust test on SQLite and on PostgreSQL, then the
# browser tests against a freshly built app, then the API contract test (schemathesis).
source "$(dirname "$0")/env.sh"
"$ROOT/scripts/setup.sh" --browser

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy (server side, all targets)"
cargo clippy --workspace --exclude frontend --all-targets -- -D warnings
log "cargo clippy (browser side, wasm32)"
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

log "building the Rust tests"
cargo test --workspace --exclude frontend --no-run

# PostgreSQL: use TEST_DATABASE_URL if given, else a server answering on 127.0.0.1:5432.
PG_URL="${TEST_DATABASE_URL:-}"
if [ -z "$PG_URL" ] && command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then
  PG_URL="postgres://postgres@127.0.0.1:5432/postgres"
fi
# The two runs go side by side (each test has its own database): much of a test's time is
# spent waiting on the database or the network, not on a core. Each line says its run.
run_tests() {
  local name="$1"
  shift
  set -o pipefail
  env "$@" cargo test --workspace --exclude frontend 2>&1 | sed -u "s/^/[$name] /"
}
log "Rust tests on SQLite${PG_URL:+ and on PostgreSQL ($PG_URL; each test creates and drops its own database)}"
run_tests sqlite -u TEST_DATABASE_URL &
SQLITE_RUN=$!
if [ -n "$PG_URL" ]; then
  run_tests postgres TEST_DATABASE_URL="$PG_URL" &
  PG_RUN=$!
else
  log "SKIPPING the PostgreSQL run: no TEST_DATABASE_URL and nothing answers on 127.0.0.1:5432"
fi
status=0
wait "$SQLITE_RUN" || { log "the SQLite run FAILED"; status=1; }
if [ -n "$PG_URL" ]; then
  wait "$PG_RUN" || { log "the PostgreSQL run FAILED"; status=1; }
  # Databases of tests that panicked before cleaning up.
  if command -v psql >/dev/null; then
    for db in $(psql "$PG_URL" -Atc "select datname from pg_database where datname like 'hl_test_%'" 2>/dev/null); do
      psql "$PG_URL" -qc "drop database if exists \"$db\" with (force)" >/dev/null
    done
  fi
fi
[ "$status" = 0 ]

"$ROOT/scripts/e2e.sh"
# The contract test uses the server binary the browser tests built.
"$ROOT/scripts/contract.sh"
log "all checks passed"
