#!/usr/bin/env bash
# Benchmark: `vigil plan --env dev` against a shell loop of `terraform plan`
# over the same four blueprint stacks, on the same state, in one run.
#
# Setup (not timed): a copy of the blueprint, a sandbox (`vigil sandbox
# serve`), `vigil up --once` so that every dev stack is applied (a dummy
# remediator zip stands in for the Lambda), then one `vigil plan` to warm the
# inits.
#
#   loop  - `terraform plan -input=false -lock-timeout=0s` in each stack, one
#           after the other, in the data dirs vigil initialised (so no init),
#           with vigil's CLI config and the sandbox's environment. Only the
#           plan: no saved plan file, no JSON, no policy scan.
#   vigil - `vigil plan --env dev`: the fmt gate, init reuse checks, every
#           stack planned in parallel (dependents speculatively) under its
#           state lock with -out, the bindings (plan hashes, state lineage and
#           serial read from the plan files), the policy gate, the records in
#           the store. There are no changes, so no `terraform show -json`.
#
# It prints wall and CPU seconds (user+sys of every process) and the ratio
# vigil/loop (target: <= 0.7 wall on 2 cores). On a machine shared with other
# work the wall figures are noisy; run several rounds: bench/plan.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
tf=${VIGIL_TERRAFORM:-$(command -v terraform || command -v tofu)}
work=$(mktemp -d)
sandbox_pid=
cleanup() {
  [ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
unset TF_CLI_CONFIG_FILE

go build -o "$work/vigil" ./cmd/vigil
mkdir -p "$work/bp"
(cd blueprint && tar --exclude=.vigil --exclude=.terraform --exclude=.terraform.lock.hcl -cf - .) | tar -xf - -C "$work/bp"
mkdir -p "$work/bp/.vigil/build" "$work/zip"
printf '#!/bin/sh\n' >"$work/zip/bootstrap"
(cd "$work/zip" && python3 -c 'import zipfile; z=zipfile.ZipFile("'"$work/bp/.vigil/build/remediator.zip"'","w"); z.write("bootstrap"); z.close()')

"$work/vigil" -C "$work/bp" sandbox serve --addr 127.0.0.1:0 >"$work/sandbox.log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 50); do grep -q serving "$work/sandbox.log" && break; sleep 0.2; done
eval "$("$work/vigil" -C "$work/bp" sandbox env)"

echo "setup: vigil up --once (bootstrap and apply every dev stack; a few minutes)" >&2
"$work/vigil" --terraform "$tf" -C "$work/bp" up --once >"$work/up.out" 2>&1 || { tail -30 "$work/up.out" >&2; exit 1; }
"$work/vigil" --terraform "$tf" -C "$work/bp" plan --env dev >"$work/warm.out" 2>&1 || { tail -30 "$work/warm.out" >&2; exit 1; }

tfrc=$(ls -t "$work"/bp/.vigil/terraform/cli-*.tfrc | head -1)
layers="foundation workload observability remediation"
loop() {
  for l in $layers; do
    extra=()
    [ "$l" = remediation ] && extra=(-var "lambda_zip_path=$work/bp/.vigil/build/remediator.zip")
    (
      cd "$work/bp/live/dev/$l"
      TF_DATA_DIR="$work/bp/.vigil/tfdata-backend/live/dev/$l" TF_CLI_CONFIG_FILE="$tfrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 \
        "$tf" plan -input=false -no-color -lock-timeout=0s "${extra[@]}" >/dev/null
    )
  done
}
export -f loop
export work tf tfrc layers

measure() {
  local name=$1; shift
  if ! /usr/bin/time -f "%e %U %S" -o "$work/$name.time" "$@" >"$work/$name.out" 2>&1; then
    echo "bench: $name failed:" >&2; tail -20 "$work/$name.out" >&2; exit 1
  fi
  read -r wall user sys <"$work/$name.time"
  eval "${name}_wall=$wall; ${name}_cpu=$(echo "$user + $sys" | bc)"
}

echo "stacks: 4 (dev), cores: $(nproc), $("$tf" version | head -1), load: $(cut -d' ' -f1-3 /proc/loadavg)"
best=
for r in $(seq "$rounds"); do
  measure loop bash -c loop
  measure vigil "$work/vigil" --terraform "$tf" -C "$work/bp" plan --env dev
  grep -q "no-changes" "$work/vigil.out" || { echo "bench: vigil plan found changes:" >&2; cat "$work/vigil.out" >&2; exit 1; }
  ratio=$(echo "scale=2; $vigil_wall / $loop_wall" | bc)
  cpu_ratio=$(echo "scale=2; $vigil_cpu / $loop_cpu" | bc)
  printf 'round %d: loop %6.2fs wall %6.2fs cpu | vigil plan %6.2fs wall %6.2fs cpu | ratio %s wall, %s cpu\n' \
    "$r" "$loop_wall" "$loop_cpu" "$vigil_wall" "$vigil_cpu" "$ratio" "$cpu_ratio"
  if [ -z "$best" ] || [ "$(echo "$ratio < $best" | bc)" = 1 ]; then best=$ratio; fi
done
echo "best wall ratio vigil/loop: $best (target <= 0.7)"
