#!/usr/bin/env bash
# Everything CI checks: formatting, native tests, the web components in Chromium, the release
# bundle and its size, and the end-to-end tests against that bundle. Installs missing tools first.
# Every step runs even when an earlier one failed (except those that need its output), so one
# run shows all problems; the exit status is non-zero if any step failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# The web app issue's budget is 700 KB for the page with its code editor and the full regex
# crate, and it is NOT met (docs/BENCHMARKS.md, "Where the wasm's bytes are"): on 2026-12-02
# (evening) the wasm is 782 KB and CodeMirror 6 with the issue's packages 129 KB, 932 KB in
# all (938 KB that afternoon: the editor's YAML stream mode saved 11 KB, the worker's answers
# built on the page's results added 5). BENCHMARKS measures what trimming could still save
# (about 80 KB at most, with changes not taken) against the 232 KB over: the budget needs work
# moved out of the bundle. This limit only catches growth beyond today's bundle.
SIZE_LIMIT_KB=935   # gzipped wasm + js + css, 1 KB = 1000 bytes

summary=()
passed=0
failed=0
run_start=$SECONDS

# step NAME COMMAND...: runs and records one step.
step() {
  local name=$1 start=$SECONDS status
  shift
  printf '\n=== %s\n' "$name"
  if "$@"; then
    status=ok
    passed=$((passed + 1))
  else
    status=FAILED
    failed=$((failed + 1))
  fi
  summary+=("$(printf '  %-34s %-7s %5ss' "$name" "$status" $((SECONDS - start)))")
  [ "$status" = ok ]
}

not_run() {
  summary+=("$(printf '  %-34s %-7s (%s)' "$1" "FAILED" "$2")")
  failed=$((failed + 1))
}

print_summary() {
  printf '\n=== summary (%ss in all)\n' $((SECONDS - run_start))
  printf '%s\n' "${summary[@]}"
  [ -n "${size_line:-}" ] && printf '  %s\n' "$size_line"
  printf 'test.sh: %d passed, %d failed\n' "$passed" "$failed"
}

size_line=
bundle_size() {
  local total=0 file raw gz
  shopt -s nullglob
  local files=(dist/*.wasm dist/*.js dist/*.css)
  shopt -u nullglob
  if [ ${#files[@]} -eq 0 ]; then
    echo "dist/ has no wasm, js or css"
    return 1
  fi
  for file in "${files[@]}"; do
    raw=$(wc -c <"$file")
    gz=$(gzip -9 -c "$file" | wc -c)
    total=$((total + gz))
    printf '  %-48s %9d B  %8d B gzipped\n' "$file" "$raw" "$gz"
  done
  size_line=$(printf 'bundle: %d.%d KB gzipped (wasm+js+css), limit %d KB' \
    $((total / 1000)) $((total % 1000 / 100)) "$SIZE_LIMIT_KB")
  echo "$size_line"
  [ "$total" -le $((SIZE_LIMIT_KB * 1000)) ]
}

if ! step "install tools" bash scripts/install-tools.sh; then
  print_summary
  exit 1
fi

step "cargo fmt --check" cargo fmt --all --check
step "native tests" cargo test --workspace --exclude pipesim-e2e
step "benchmarks compile" cargo check -p pipesim --benches
step "web component tests (Chromium)" cargo test --target wasm32-unknown-unknown -p pipesim-web
if step "trunk build --release" trunk build --release; then
  step "bundle size" bundle_size
  step "end-to-end tests (Chromium)" cargo test -p pipesim-e2e
else
  not_run "bundle size" "no build"
  not_run "end-to-end tests (Chromium)" "no build"
fi

print_summary
[ "$failed" -eq 0 ]
