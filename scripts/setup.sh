#!/usr/bin/env bash
# Installs what a fresh machine lacks: the wasm32 target and the standard library's sources
# (or Debian's fallback toolchain), the wasm-bindgen CLI matching Cargo.lock, the npm packages, the FHIR validator
# and the S3-compatible test server.
# `--browser` also installs Debian's Chromium for the browser tests. Each step is skipped when
# already in place.
source "$(dirname "$0")/env.sh"

apt_install() {
  if [ "$(id -u)" != 0 ]; then echo "need root to apt-get install $*" >&2; return 1; fi
  if [ ! -f /tmp/.hospitallink-apt-updated ]; then apt-get update -qq && touch /tmp/.hospitallink-apt-updated; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# 1. wasm32 target: rustup, else Debian's rustc-web with the std sources (build.sh notices).
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  if ! rustup target add wasm32-unknown-unknown; then
    log "rustup could not add the target; installing Debian's rustc-web toolchain instead"
    apt_install rustc-web cargo-web rust-web-src lld-22
  fi
fi

# 1b. The standard library's sources: build.sh rebuilds it for the size of the bundle.
if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown &&
  ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
  log "adding the rust-src component"
  rustup component add rust-src
fi

# 2. wasm-bindgen CLI, the exact version Cargo.lock pins.
WBG_VERSION="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WBG_VERSION" ]; then
  log "installing wasm-bindgen-cli $WBG_VERSION"
  cargo install --force wasm-bindgen-cli --version "$WBG_VERSION"
fi

# 3. npm packages (Tailwind, binaryen's wasm-opt, Swagger UI assets, Playwright).
if [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json node_modules/.hospitallink-lock; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.hospitallink-lock
fi

# 4. An S3-compatible server for the storage tests (moto, from PyPI, in its own virtualenv).
S3_VENV="${HOSPITALLINK_S3_VENV:-$HOME/.cache/hospitallink/s3-venv}"
if [ ! -x "$S3_VENV/bin/moto_server" ]; then
  log "installing the S3-compatible test server (moto) into $S3_VENV"
  python3 -m venv "$S3_VENV"
  "$S3_VENV/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.2.5'
fi

# 4b. The FHIR validator the tests run on what the API emits (before the test runs, which go
# side by side).
"$ROOT/scripts/fhir.sh" >/dev/null

# 5. Chromium for the browser tests.
if [ "${1:-}" = "--browser" ] && ! command -v chromium >/dev/null; then
  log "installing Debian's chromium"
  apt_install chromium
fi
