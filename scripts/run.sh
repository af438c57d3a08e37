#!/usr/bin/env bash
# The run command: install what is missing, build, migrate, seed the demo on first start, serve.
source "$(dirname "$0")/env.sh"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh"
export LEPTOS_SITE_ROOT="$SITE"
exec "$BIN" serve
