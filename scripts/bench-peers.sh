#!/usr/bin/env bash
# pipesim against gitlab-ci-local (npm), whole processes, on the same configurations:
# the synthetic 100/1,000/5,000-job configs of crates/pipesim/benches/simulate.rs, the large
# real config (tests/fixtures/realworld/large/xen) and tests/fixtures/realworld/*.
#
#   scripts/bench-peers.sh [--runs N] [--out DIR]
#
# For each config: `gitlab-ci-local --list-json` and `pipesim simulate --format json --event push
# --branch main`, N runs each (default 5), median wall time, side by side with the ratio. Then the
# job lists both produce for that push are compared: jobs only one tool creates, and jobs whose
# `when` differs (docs/BENCHMARKS.md explains every difference). Outputs are kept in DIR
# (default target/bench-peers). gitlab-ci-local needs a git repository, so each config is
# copied into DIR/repos/NAME as one: branch main, an `origin` remote with a HEAD (no network is
# used: gitlab-ci-local only reads them).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

GCL_VERSION=4.65.0
runs=5
out=target/bench-peers
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
log() { printf '[bench-peers] %s\n' "$*" >&2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)

# gitlab-ci-local, installed once in $out/tools (idempotent: skipped when the version matches).
tools=$out/tools
gcl=$tools/node_modules/.bin/gitlab-ci-local
if [ "$("$gcl" --version 2>/dev/null || true)" != "$GCL_VERSION" ]; then
  log "installing gitlab-ci-local $GCL_VERSION in $tools"
  mkdir -p "$tools"
  npm install --silent --no-audit --no-fund --prefix "$tools" "gitlab-ci-local@$GCL_VERSION" >/dev/null
fi

log "building pipesim (release)"
cargo build --release -q -p pipesim-cli
pipesim=$PWD/target/release/pipesim

# The configurations, as git repositories.
repos=$out/repos
rm -rf "$repos" "$out/synthetic"
mkdir -p "$repos"
cargo bench -q -p pipesim --bench simulate -- --write-synthetic "$out/synthetic" >/dev/null
configs=()
add_repo() { # NAME SOURCE_DIR
  local name=$1 src=$2 dest=$repos/$1
  mkdir -p "$dest"
  cp -R "$src/." "$dest/"
  (
    cd "$dest"
    git init -q -b main
    git add -A
    git -c user.name=bench -c user.email=bench@localhost commit -q -m config
    # gitlab-ci-local reads the default branch and project path from the remote.
    git remote add origin https://gitlab.com/group/project.git
    git update-ref refs/remotes/origin/main HEAD
    git symbolic-ref refs/remotes/origin/HEAD refs/remotes/origin/main
  )
  configs+=("$name")
}
for n in 100 1000 5000; do add_repo "synthetic-$n" "$out/synthetic/synthetic-$n"; done
add_repo xen tests/fixtures/realworld/large/xen
for dir in tests/fixtures/realworld/*/; do
  name=$(basename "$dir")
  [ -f "$dir/.gitlab-ci.yml" ] && add_repo "$name" "$dir"
done

# Xen's `$CI_JOB_NAME =~ $SELECTED_JOBS_ONLY` makes gitlab-ci-local abort when the variable
# holds no /regex/ (its default, an empty description-only variable). Both tools also run
# Xen with SELECTED_JOBS_ONLY=/.*/ (a value its documentation asks for), the same for both.
variants=()
for c in "${configs[@]}"; do variants+=("$c|"); done
variants+=("xen|SELECTED_JOBS_ONLY=/.*/")

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

run_gcl() { # REPO VAR (gitlab-ci-local wants a relative --cwd: run it inside the repository)
  local args=(--list-json)
  [ -n "$2" ] && args+=(--variable "$2")
  (cd "$1" && "$gcl" "${args[@]}")
}
run_pipesim() { # REPO VAR
  local args=(simulate "$1/.gitlab-ci.yml" --event push --branch main --format json)
  [ -n "$2" ] && args+=(--var "$2")
  "$pipesim" "${args[@]}"
}

printf '%-34s %8s %14s %14s %9s\n' config jobs "gcl median ms" "pipesim ms" ratio
for v in "${variants[@]}"; do
  name=${v%%|*}
  var=${v#*|}
  label=$name${var:+ ($var)}
  repo=$repos/$name
  key=$name${var:+-var}
  gcl_status=ok
  run_gcl "$repo" "$var" >"$out/$key.gcl.json" 2>"$out/$key.gcl.err" || gcl_status=failed
  run_pipesim "$repo" "$var" >"$out/$key.pipesim.json" 2>"$out/$key.pipesim.err" || true
  gcl_times=() ps_times=()
  for _ in $(seq "$runs"); do
    t=$(now); run_gcl "$repo" "$var" >/dev/null 2>&1 || true; gcl_times+=($(( ($(now) - t) / 1000 )))
    t=$(now); run_pipesim "$repo" "$var" >/dev/null 2>&1 || true; ps_times+=($(( ($(now) - t) / 1000 )))
  done
  gcl_ms=$(printf '%s\n' "${gcl_times[@]}" | median | awk '{printf "%.1f", $1/1000}')
  ps_ms=$(printf '%s\n' "${ps_times[@]}" | median | awk '{printf "%.1f", $1/1000}')
  ratio=$(awk -v a="$gcl_ms" -v b="$ps_ms" 'BEGIN {printf "%.0fx", a/b}')
  jobs=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["pipelines"][0]["jobs"]))' "$out/$key.pipesim.json" 2>/dev/null || echo '?')
  [ "$gcl_status" = ok ] || gcl_ms="$gcl_ms (err)"
  printf '%-34s %8s %14s %14s %9s\n' "$label" "$jobs" "$gcl_ms" "$ps_ms" "$ratio"
done

# The job lists of the push pipeline: created jobs and their `when`, per tool.
echo
echo "Job lists for a push to main (gitlab-ci-local: jobs whose when is not never; pipesim: created jobs)"
python3 - "$out" "${variants[@]}" <<'EOF'
import json, os, sys
out = sys.argv[1]
for v in sys.argv[2:]:
    name, var = v.split("|", 1)
    key = name + ("-var" if var else "")
    label = name + (f" ({var})" if var else "")
    try:
        gcl = json.load(open(f"{out}/{key}.gcl.json"))
    except Exception:
        err = open(f"{out}/{key}.gcl.err").read().strip().splitlines()
        print(f"{label}: gitlab-ci-local failed: {err[-2] if len(err) > 1 else err}")
        continue
    sim = json.load(open(f"{out}/{key}.pipesim.json"))
    pipeline = sim["pipelines"][0]
    g = {j["name"]: j["when"] for j in gcl if j["when"] != "never"}
    p = {j["name"]: j["when"] for j in pipeline["jobs"] if j["created"]}
    if not pipeline.get("created", True):
        print(f"{label}: pipesim creates no pipeline ({pipeline.get('reason') or pipeline.get('status')})")
    only_g = sorted(set(g) - set(p))
    only_p = sorted(set(p) - set(g))
    when = sorted(n for n in set(g) & set(p) if g[n] != p[n])
    same = "same" if not (only_g or only_p or when) else "DIFFERENT"
    print(f"{label}: gitlab-ci-local {len(g)} jobs, pipesim {len(p)} jobs: {same}")
    for n in only_g[:10]:
        print(f"    only gitlab-ci-local: {n} (when {g[n]})")
    if len(only_g) > 10:
        print(f"    ... and {len(only_g) - 10} more only in gitlab-ci-local")
    for n in only_p[:10]:
        print(f"    only pipesim: {n} (when {p[n]})")
    if len(only_p) > 10:
        print(f"    ... and {len(only_p) - 10} more only in pipesim")
    for n in when[:10]:
        print(f"    when differs: {n}: gitlab-ci-local {g[n]}, pipesim {p[n]}")
    if len(when) > 10:
        print(f"    ... and {len(when) - 10} more whose when differs")
EOF
