#!/usr/bin/env bash
# Benchmark (issue 4): wall time of applying the blueprint's whole dev environment
# (state backend + the four layers) to a fresh sandbox with plain terraform, and the share
# of it spent inside the sandbox: the sandbox process's CPU seconds / wall seconds.
# Terraform and the AWS provider are the floor; the sandbox should be a small fraction.
#
# Usage: bench/apply-dev.sh        (needs terraform and a provider mirror; no network)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'kill "${sbx_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

go build -o "$work/vigil" "$root/cmd/vigil"
cp -r "$root/blueprint" "$work/bp"
rm -rf "$work/bp/.vigil"
go run "$root/internal/remediate/build/cmd" "$work/bp/live/dev/remediation/remediator.zip" >/dev/null

mirror="${VIGIL_PROVIDER_MIRROR:-/opt/tf-plugins}"
cat >"$work/cli.tfrc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/*/*"]
  }
  direct { exclude = ["registry.terraform.io/*/*"] }
}
RC
export TF_CLI_CONFIG_FILE="$work/cli.tfrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1

"$work/vigil" sandbox serve --addr 127.0.0.1:0 --data-dir "$work/data" >"$work/serve.out" 2>"$work/serve.err" &
sbx_pid=$!
for _ in $(seq 100); do grep -q "serving" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
eval "$("$work/vigil" sandbox env --data-dir "$work/data")"

ticks() { awk '{print $14 + $15}' "/proc/$sbx_pid/stat"; }
hz=$(getconf CLK_TCK)

# Providers are installed before timing starts: init is not what this measures.
for d in bootstrap/dev live/dev/foundation live/dev/workload live/dev/observability live/dev/remediation; do
  (cd "$work/bp/$d" && terraform init -input=false -no-color -backend=false >/dev/null)
done

t0=$(date +%s.%N); c0=$(ticks)
(cd "$work/bp/bootstrap/dev" && terraform apply -auto-approve -input=false -no-color >/dev/null)
for layer in foundation workload observability remediation; do
  (cd "$work/bp/live/dev/$layer" && terraform init -input=false -no-color -reconfigure >/dev/null &&
    terraform apply -auto-approve -input=false -no-color >/dev/null)
done
t1=$(date +%s.%N); c1=$(ticks)

awk -v t0="$t0" -v t1="$t1" -v c0="$c0" -v c1="$c1" -v hz="$hz" 'BEGIN {
  wall = t1 - t0; cpu = (c1 - c0) / hz
  printf "apply of dev (bootstrap + 4 layers): wall %.1f s\n", wall
  printf "sandbox CPU: %.2f s = %.1f%% of wall\n", cpu, 100 * cpu / wall
}'
printf 'sandbox resident memory after apply: %s\n' "$(grep VmRSS /proc/$sbx_pid/status | awk '{print $2, $3}')"
