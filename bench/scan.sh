#!/usr/bin/env bash
# bench/scan.sh — time `vigil scan` against `trivy config` on the same trees,
# in the same run: the blueprint, and a generated tree of 1,000 resources.
#
# Builds trivy v0.74.0 from the Go module proxy into a bench-local GOBIN the
# first time (GOEXPERIMENT=jsonv2 is required; 5–7 minutes on 2 cores). The
# test suite never needs trivy; only this script builds it.
#
# Usage: bench/scan.sh            (from anywhere)
# Environment:
#   RUNS=5                measured runs per tool and tree (after one warm-up)
#   BENCH_DIR=…           work directory (default: ~/.cache/vigil-bench/scan,
#                         outside the repository: the trivy binary is 168 MB)
#   SKIP_TRIVY=1          time vigil only
#   TRIVY=/path/to/trivy  use this trivy instead of building one
#
# Targets (issue 6): blueprint under 200 ms; at least 5x faster than trivy and
# a fraction of its memory; the same or better findings on shared concerns.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil-bench/scan}
RUNS=${RUNS:-5}
TRIVY_VERSION=v0.74.0
mkdir -p "$WORK/bin" "$WORK/gobin" "$WORK/out" "$WORK/trivy-cache"

log() { printf '%s\n' "$*" >&2; }
calc() { awk "BEGIN { print $1 }"; }

log "building vigil and scanbench…"
(cd "$ROOT" && go build -o "$WORK/bin/vigil" ./cmd/vigil && go build -o "$WORK/bin/scanbench" ./bench/scanbench)
SCANBENCH=$WORK/bin/scanbench

# The scan verb, or the in-process stand-in while the verb is not registered.
if "$WORK/bin/vigil" scan --help >/dev/null 2>&1; then
  VIGIL=("$WORK/bin/vigil" scan --fail-on none)
  VIGIL_JSON=("$WORK/bin/vigil" scan --fail-on none --format json)
else
  log "note: this vigil build has no scan verb yet; timing scanbench scan (same code path, no CLI)"
  VIGIL=("$SCANBENCH" scan)
  VIGIL_JSON=("$SCANBENCH" scan --json)
fi

TRIVY_BIN=${TRIVY:-$WORK/gobin/trivy}
if [[ -z "${SKIP_TRIVY:-}" && ! -x "$TRIVY_BIN" ]]; then
  log "building trivy $TRIVY_VERSION from the module proxy (5–7 minutes)…"
  start=$(date +%s)
  (cd "$WORK" && GOBIN="$WORK/gobin" GOEXPERIMENT=jsonv2 CGO_ENABLED=0 \
    go install -ldflags='-s -w' "github.com/aquasecurity/trivy/cmd/trivy@$TRIVY_VERSION")
  log "trivy built in $(( $(date +%s) - start )) s"
fi
TRIVY_ARGS=(config --skip-check-update --skip-version-check --disable-telemetry --quiet --cache-dir "$WORK/trivy-cache")

# Trees.
BLUEPRINT=$ROOT/blueprint
GEN=$WORK/gen1000
rm -rf "$GEN"
"$SCANBENCH" gen "$GEN" 1000 >&2

# measure CMD… → prints "<wall ms> <max RSS KiB>" for one run.
if [[ -x /usr/bin/time ]] && /usr/bin/time -v true >/dev/null 2>&1; then
  measure() {
    local out
    out=$(mktemp)
    /usr/bin/time -v -o "$out" "$@" >/dev/null 2>&1 || true
    awk -F': ' '
      /Elapsed \(wall clock\)/ {
        n = split($2, p, ":"); s = 0
        for (i = 1; i <= n; i++) s = s * 60 + p[i]
        ms = int(s * 1000 + 0.5)
      }
      /Maximum resident set size/ { rss = $2 }
      END { print ms, rss }' "$out"
    rm -f "$out"
  }
  TIMER="/usr/bin/time -v"
else
  measure() { "$SCANBENCH" measure "$@" || true; }
  TIMER="Go rusage (scanbench measure)"
fi

# bench NAME CMD… → runs warm-up + RUNS, prints "median_ms max_rss_kib".
bench() {
  local walls=() rss=0 w r
  "$@" >/dev/null 2>&1 || true # warm-up (page cache, trivy's check cache)
  for _ in $(seq "$RUNS"); do
    read -r w r < <(measure "$@")
    walls+=("$w")
    (( r > rss )) && rss=$r
  done
  local median
  median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$median $rss"
}

printf '\ntimer: %s; %d runs after a warm-up; %s cores; load %s\n' "$TIMER" "$RUNS" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-12s %-6s %10s %10s %9s\n' TREE TOOL "WALL(ms)" "RSS(MiB)" FINDINGS
for tree in blueprint gen1000; do
  dir=$BLUEPRINT
  [[ $tree == gen1000 ]] && dir=$GEN
  [[ -d $dir ]] || { log "skip $tree: $dir does not exist"; continue; }

  read -r vw vr < <(bench "${VIGIL[@]}" "$dir")
  "${VIGIL_JSON[@]}" "$dir" >"$WORK/out/vigil-$tree.json" 2>/dev/null || true
  vf=$(grep -c '"rule":' "$WORK/out/vigil-$tree.json" || true)
  printf '%-12s %-6s %10d %10.1f %9s\n' "$tree" vigil "$vw" "$(calc "$vr / 1024")" "$vf"

  if [[ -x "$TRIVY_BIN" && -z "${SKIP_TRIVY:-}" ]]; then
    read -r tw tr < <(bench "$TRIVY_BIN" "${TRIVY_ARGS[@]}" "$dir")
    "$TRIVY_BIN" "${TRIVY_ARGS[@]}" --format json -o "$WORK/out/trivy-$tree.json" "$dir" >/dev/null 2>&1 || true
    tf=$(grep -c '"Status": "FAIL"' "$WORK/out/trivy-$tree.json" || true)
    printf '%-12s %-6s %10d %10.1f %9s\n' "$tree" trivy "$tw" "$(calc "$tr / 1024")" "$tf"
    printf '%-12s speed-up %.1fx, memory %.0f%% of trivy\n' "$tree" "$(calc "$tw / ($vw + 0.001)")" "$(calc "100 * $vr / $tr")"
    echo "  shared concerns ($tree):"
    "$SCANBENCH" compare "$WORK/out/vigil-$tree.json" "$WORK/out/trivy-$tree.json" | sed 's/^/    /'
  fi
done
if [[ -d $BLUEPRINT ]]; then
  read -r vw _ < <(bench "${VIGIL[@]}" "$BLUEPRINT")
  if (( vw < 200 )); then echo "blueprint target (< 200 ms): met (${vw} ms)"; else echo "blueprint target (< 200 ms): MISSED (${vw} ms)"; fi
fi
echo "raw outputs: $WORK/out"
