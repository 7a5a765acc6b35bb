#!/usr/bin/env bash
# Benchmark: `vigil check` over every blueprint stack against a plain shell
# loop of `terraform init -backend=false && terraform validate` per stack.
#
# Fair comparison, in one run, on one copy of the blueprint (so the repository
# is never touched):
#   loop  - one stack after the other, a fresh .terraform each time, the same
#           provider source as vigil (a CLI config with a filesystem_mirror for
#           the local mirror, so providers are symlinked, not copied, and the
#           network is never asked), no plugin cache.
#   vigil - `vigil check` (fmt -check + init -backend=false + validate for each
#           stack, --parallelism = number of cores), cold: its .vigil folder is
#           deleted first, so every init runs. A warm figure (second run,
#           inits reused) is printed as well.
# vigil does more work (fmt) but runs stacks in parallel, and its validates
# share one validate-only provider process instead of starting the AWS
# provider twice per stack.
#
# For each it prints the wall time and the CPU time (user+sys of every
# process). On a machine shared with other work the wall ratio is noisy; the
# CPU ratio is not, and on an idle machine the wall time of vigil is about its
# CPU time divided by the cores. Usage: bench/check.sh [rounds]   (default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-1}
tf=${VIGIL_TERRAFORM:-$(command -v terraform || command -v tofu)}
mirror=${VIGIL_PROVIDER_MIRROR:-/opt/tf-plugins}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/vigil" ./cmd/vigil
cp -r blueprint "$work/bp"
rm -rf "$work/bp/.vigil"
find "$work/bp" -name .terraform -type d -prune -exec rm -rf {} +
find "$work/bp" -name .terraform.lock.hcl -delete

cat >"$work/loop.tfrc" <<CFG
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/aws"]
  }
}
CFG

stacks=$(cd "$work/bp" && ls -d live/*/*/)

loop() {
  for s in $stacks; do
    (
      cd "$work/bp/$s"
      rm -rf .terraform .terraform.lock.hcl
      TF_CLI_CONFIG_FILE="$work/loop.tfrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 "$tf" init -backend=false -input=false -no-color >/dev/null
      TF_CLI_CONFIG_FILE="$work/loop.tfrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 "$tf" validate -no-color >/dev/null
      rm -rf .terraform .terraform.lock.hcl
    )
  done
}
export -f loop
export work tf stacks

# measure NAME CMD...: wall and CPU (user+sys of every child) seconds.
measure() {
  local name=$1; shift
  if ! /usr/bin/time -f "%e %U %S" -o "$work/$name.time" "$@" >"$work/$name.out" 2>&1; then
    echo "bench: $name failed:" >&2; tail -20 "$work/$name.out" >&2; exit 1
  fi
  read -r wall user sys <"$work/$name.time"
  eval "${name}_wall=$wall; ${name}_cpu=$(echo "$user + $sys" | bc)"
}

echo "stacks: $(echo $stacks | wc -w), cores: $(nproc), $(TF_CLI_CONFIG_FILE="$work/loop.tfrc" "$tf" version | head -1), load: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
  measure loop bash -c loop
  rm -rf "$work/bp/.vigil"
  measure cold "$work/vigil" --terraform "$tf" -C "$work/bp" check
  measure warm "$work/vigil" --terraform "$tf" -C "$work/bp" check
  awk -v lw="$loop_wall" -v lc="$loop_cpu" -v cw="$cold_wall" -v cc="$cold_cpu" -v ww="$warm_wall" -v wc="$warm_cpu" -v r="$r" 'BEGIN {
    printf "round %d  wall: loop %5.1fs  vigil cold %5.1fs (%.2f x)  warm %5.1fs (%.2f x)\n", r, lw, cw, cw/lw, ww, ww/lw
    printf "         cpu:  loop %5.1fs  vigil cold %5.1fs (%.2f x)  warm %5.1fs (%.2f x)\n", lc, cc, cc/lc, wc, wc/lc }'
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
