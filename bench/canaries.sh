#!/usr/bin/env bash
# Benchmark (issue #7): N canaries (default 1,000) every minute against a
# local HTTP server, run by `vigil serve` itself — the River queue, the
# store (every result is written to .vigil/vigil.db), Prometheus metrics —
# for MINUTES minutes (default 3). Prints vigil's CPU seconds per wall
# second (its CPU share), its peak and final resident memory, the checks the
# target served, and the results the store holds.
#
#   bench/canaries.sh [N] [MINUTES]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
n="${1:-1000}"
minutes="${2:-3}"
work="$(mktemp -d)"
trap 'kill "$tpid" "$vpid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

cd "$root"
go build -o "$work/vigil" ./cmd/vigil
go build -o "$work/target" ./bench/canarytarget
"$work/target" -addr-file "$work/addr" > "$work/target.out" &
tpid=$!
for _ in $(seq 50); do [ -s "$work/addr" ] && break; sleep 0.1; done
addr="$(cat "$work/addr")"

repo="$work/repo"
mkdir -p "$repo/live"
{
	echo 'project = "canary-bench"'
	echo 'environment "dev" {}'
	echo 'canaries {'
	echo '  concurrency = 64'
	echo '}'
	for i in $(seq "$n"); do
		printf 'canary "c%d" {\n  url    = "http://%s/health/%d"\n  every  = "1m"\n  expect = ["status == 200", "json.status == \\"ok\\"", "latency < 2s"]\n  env    = "dev"\n}\n' "$i" "$addr" "$i"
	done
} > "$repo/vigil.hcl"

"$work/vigil" -C "$repo" serve --addr 127.0.0.1:0 > "$work/serve.out" 2>&1 &
vpid=$!
clk=$(getconf CLK_TCK)
cpu() { awk -v t="$clk" '{print ($14+$15)/t}' "/proc/$vpid/stat"; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$vpid/status"; }

sleep 10 # start-up: migrations, config, first slots
c0=$(cpu); t0=$(date +%s.%N); peak=0
end=$(( $(date +%s) + minutes * 60 ))
while [ "$(date +%s)" -lt "$end" ]; do
	kill -0 "$vpid" 2>/dev/null || { echo "vigil serve exited:"; cat "$work/serve.out"; exit 1; }
	r=$(rss); [ "$r" -gt "$peak" ] && peak=$r
	sleep 2
done
c1=$(cpu); t1=$(date +%s.%N); final=$(rss)
kill -TERM "$vpid"; wait "$vpid" || true
kill -TERM "$tpid"; wait "$tpid" || true
results=$(sqlite3 "$repo/.vigil/vigil.db" 'select count(*) from canary_results' 2>/dev/null || echo "?")

awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v n="$n" -v peak="$peak" -v final="$final" -v load="$(cut -d' ' -f1-3 /proc/loadavg)" 'BEGIN {
	wall = t1 - t0; cpu = c1 - c0
	printf "canaries: %d every 1m, measured %.0f s after a 10 s start-up (load average %s)\n", n, wall, load
	printf "vigil serve CPU: %.2f s = %.4f CPU-s per wall second (%.2f%% of one core)\n", cpu, cpu / wall, 100 * cpu / wall
	printf "vigil serve RSS: peak %.1f MiB, final %.1f MiB\n", peak / 1024, final / 1024
}'
echo "target: $(cat "$work/target.out")"
echo "store: $results canary results"
