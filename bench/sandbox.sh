#!/usr/bin/env bash
# Benchmark: the embedded sandbox over loopback with the real aws-sdk-go-v2.
#
#   S3        PutObject / GetObject of 4 KiB and 1 MiB: requests/s, p50 and p99
#             latency (measured per request, 8 concurrent clients; every put
#             is durable — blob fsynced, state committed — before it is
#             acknowledged), and the resident memory (VmRSS) of a sandbox
#             process holding 10,000 objects.
#   DynamoDB  every Benchmark in internal/sandbox/dynamodb (conditional
#             PutItem, as Terraform's lock table uses it).
#
# Figures depend on the disk's fsync latency and on what else runs: quote
# them from an otherwise idle machine. Usage: bench/sandbox.sh [benchtime]
# (default 3s per benchmark).
set -euo pipefail
cd "$(dirname "$0")/.."
benchtime=${1:-3s}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

run() { go test -run '^$' "$@" | tee -a "$out"; }

echo "== S3: PutObject / GetObject (benchtime $benchtime)"
run -bench '^Benchmark(PutObject|GetObject)$' -benchtime "$benchtime" ./internal/sandbox/s3/
echo "== S3: resident memory with 10,000 objects"
run -bench '^BenchmarkResidentMemory10kObjects$' -benchtime 1x ./internal/sandbox/s3/
if grep -qs '^func Benchmark' internal/sandbox/dynamodb/*_test.go; then
	echo "== DynamoDB"
	run -bench . -benchtime "$benchtime" ./internal/sandbox/dynamodb/
fi

echo
echo "== Summary"
awk '/^Benchmark/ {
	name = $1; sub(/-[0-9]+$/, "", name)
	line = sprintf("%-45s", name)
	for (i = 3; i < NF; i += 2) if ($(i+1) != "ns/op" && $(i+1) != "B/op" && $(i+1) != "allocs/op") line = line sprintf("  %s %s", $i, $(i+1))
	print line
}' "$out"
