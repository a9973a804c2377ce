#!/usr/bin/env bash
# Installs missing tools, builds the CLI, and serves the web app at http://127.0.0.1:8080
# (rebuilding on change). Usage: bash scripts/serve.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

bash scripts/install-tools.sh

if [ -f crates/pipesim-cli/Cargo.toml ]; then
  cargo build --release -p pipesim-cli
  echo "CLI built: target/release/pipesim"
else
  echo "crates/pipesim-cli not present yet: skipping the CLI build"
fi

echo "Serving the web app at http://127.0.0.1:8080 (Ctrl+C to stop)"
exec trunk serve --release --address 127.0.0.1 --port 8080
