#!/usr/bin/env bash
# Installs what building and testing pipesim needs, skipping what is already present.
# Safe to run again (a warm machine takes about a second): every step checks first.
# Tools come only from crates.io, npm and Debian; see shared/toolchain.md for why these versions.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

TRUNK_VERSION=0.21.14
WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen pinned in web/Cargo.toml
BINARYEN_VERSION=132.0.0

log() { printf '[install] %s\n' "$*"; }

# serve.sh and test.sh may run at the same time; two cargo installs of one tool would clash.
exec 9>"${TMPDIR:-/tmp}/pipesim-install-tools.lock"
flock 9

locked=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock 2>/dev/null | sed -n 's/^version = "\(.*\)"/\1/p' || true)
if [ -n "$locked" ] && [ "$locked" != "$WASM_BINDGEN_VERSION" ]; then
  log "Cargo.lock has wasm-bindgen $locked but this script installs the CLI $WASM_BINDGEN_VERSION;"
  log "they must be equal (also in web/Cargo.toml and Trunk.toml)"
  exit 1
fi

if ! command -v rustup >/dev/null; then
  log "rustup is missing: this machine has no Rust toolchain"
  exit 1
fi
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
if ! cargo fmt --version >/dev/null 2>&1; then
  log "adding rustfmt"
  rustup component add rustfmt
fi

apt_updated=
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "$apt_updated" ]; then
    apt-get update -qq
    apt_updated=1
  fi
  apt-get install -y -qq "$@" >/dev/null
}

if ! command -v npm >/dev/null; then
  log "installing node and npm from Debian"
  apt_install nodejs npm
fi

if ! trunk --version 2>/dev/null | grep -q " $TRUNK_VERSION"; then
  log "installing trunk $TRUNK_VERSION (takes about 6 minutes)"
  # 0.22 needs a newer rustc than this machine's; --locked keeps its dependencies buildable.
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION" \
  || ! command -v wasm-bindgen-test-runner >/dev/null; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (takes about 2 minutes)"
  # --locked fails for this version: a locked dependency is missing from the registry.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# npm packages (package-lock.json, exact versions): wasm-opt (binaryen), the editor's bundler
# (esbuild) and CodeMirror, axe-core for the end-to-end tests. Installed again whenever the lock
# file changed since the last install (a stamp beside them records which one was installed).
if [ ! -x node_modules/.bin/wasm-opt ] || ! node_modules/.bin/wasm-opt --version | grep -q "version ${BINARYEN_VERSION%%.*}" \
  || [ ! -x node_modules/.bin/esbuild ] || ! cmp -s package-lock.json node_modules/.pipesim-installed-lock; then
  log "installing the npm packages of package-lock.json (binaryen $BINARYEN_VERSION, esbuild, CodeMirror, axe-core)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.pipesim-installed-lock
fi

# The browser and its driver must be the same build: install or upgrade them together.
chromium_major=$(chromium --version 2>/dev/null | grep -o '[0-9]\+' | head -1 || true)
driver_major=$(chromedriver --version 2>/dev/null | grep -o '[0-9]\+' | head -1 || true)
if [ -z "$chromium_major" ] || [ "$chromium_major" != "$driver_major" ]; then
  log "installing chromium and chromium-driver from Debian"
  # One command so that the browser and its driver come from the same package list.
  apt_install chromium chromium-driver
fi

log "tools ready: $(trunk --version), $(wasm-bindgen --version), wasm-opt $(node_modules/.bin/wasm-opt --version | grep -o '[0-9]\+' | head -1), esbuild $(node_modules/.bin/esbuild --version), $(chromium --version 2>/dev/null | tail -1)"
