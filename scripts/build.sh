#!/usr/bin/env bash
# Builds the server binary and the site (wasm, CSS, static files, precompressed copies).
source "$(dirname "$0")/env.sh"

log "building the server ($PROFILE)"
cargo build -p server --bin hospitallink --profile "$PROFILE"

log "building the browser bundle (wasm)"
if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  # The bundle's size is a budget (< 400 KB brotli).
  # - `erase_components` (set for server and browser alike in .cargo/config.toml) cuts it by
  #   about a quarter.
  # - Three settings of the stable toolchain's unstable side (RUSTC_BOOTSTRAP) take off about
  #   a tenth more: the standard library is rebuilt with the bundle's own settings (rust-src),
  #   a panic aborts at once instead of formatting a message nobody reads, and panics carry
  #   no source locations.
  #   These three apply to the wasm32 build only; the server's build and its cache are untouched.
  RUSTC_BOOTSTRAP=1 \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zlocation-detail=none -Zunstable-options -Cpanic=immediate-abort" \
    cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release \
    -Zbuild-std=std,panic_abort
  WASM="$CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/frontend.wasm"
else
  # Debian's toolchain: std built from source, separate target directory.
  RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc /usr/bin/cargo build -p frontend --lib \
    --target wasm32-unknown-unknown --profile wasm-release -Zbuild-std=std,panic_abort \
    --target-dir "$CARGO_TARGET_DIR/debian-web"
  WASM="$CARGO_TARGET_DIR/debian-web/wasm32-unknown-unknown/wasm-release/frontend.wasm"
fi

rm -rf "$SITE.new" && mkdir -p "$SITE.new/pkg" "$SITE.new/api-docs"
wasm-bindgen --target web --no-typescript --out-name hospitallink --out-dir "$SITE.new/pkg" "$WASM"
wasm-opt -Oz --converge --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
  "$SITE.new/pkg/hospitallink_bg.wasm" -o "$SITE.new/pkg/hospitallink_bg.wasm"

log "building the stylesheet"
tailwindcss -i style/input.css -o "$SITE.new/pkg/hospitallink.css" --minify 2>/dev/null

cp -r public/. "$SITE.new/"
cp node_modules/swagger-ui-dist/swagger-ui.css node_modules/swagger-ui-dist/swagger-ui-bundle.js "$SITE.new/api-docs/"
node scripts/precompress.mjs "$SITE.new"
rm -rf "$SITE" && mv "$SITE.new" "$SITE"
log "site ready in $SITE ($(stat -c %s "$SITE/pkg/hospitallink_bg.wasm.br") bytes of wasm, brotli)"
