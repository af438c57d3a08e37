# Shared settings for the scripts; sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hospitallink/target}"
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"
SITE="$ROOT/target/site"
# The server is built in the dev profile for `make run` and the tests (sharing one cache) and in
# release for benchmarks.
PROFILE="${PROFILE:-dev}"
if [ "$PROFILE" = "dev" ]; then BIN="$CARGO_TARGET_DIR/debug/hospitallink"; else BIN="$CARGO_TARGET_DIR/$PROFILE/hospitallink"; fi
log() { printf '\033[1;36m==> %s\033[0m\n' "$*"; }
