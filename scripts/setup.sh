#!/usr/bin/env bash
# Installs what a fresh machine lacks: the wasm32 target (or Debian's fallback toolchain), the
# wasm-bindgen CLI matching Cargo.lock, and the npm packages. `--browser` also installs Debian's
# Chromium for the browser tests. Each step is skipped when already in place.
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

# 4. Chromium for the browser tests.
if [ "${1:-}" = "--browser" ] && ! command -v chromium >/dev/null; then
  log "installing Debian's chromium"
  apt_install chromium
fi
