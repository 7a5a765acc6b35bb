#!/usr/bin/env bash
# Benchmark: a `vigil drift` sweep against a plain sequential loop of
# `terraform plan -refresh-only` over the same stacks (issue 7: the eight
# blueprint stacks plus 50 small generated ones; target ratio <= 0.6 on 2
# cores).
#
# Setup (not timed), on a copy of the blueprint, against one sandbox
# (`vigil sandbox serve`, a separate process both sides talk to):
#   - bootstrap/dev and bootstrap/prod (state buckets), then the four layers
#     of dev and of prod, then GEN generated stacks live/dev/gen-NN (one SNS
#     topic and one CloudWatch alarm each, S3 backend, the blueprint's
#     default_tags), all applied with plain terraform;
#   - every stack initialised for the loop (its own TF_DATA_DIR).
# Timed:
#   loop  - for each stack, one after the other: terraform plan -refresh-only
#           -lock=false -input=false (already initialised: the loop pays no
#           init; no state lock, like vigil's read-only plans).
#   vigil - vigil drift --target sandbox (every environment; prod is an AWS
#           environment in vigil.hcl, pointed at the sandbox here), cold (its
#           .vigil/tfdata-drift deleted first, so every stack runs init) and
#           warm (second run: inits reused; the figure to compare).
# vigil does more per stack than the loop (a normal plan, not refresh-only,
# and the unmanaged-resource listing of the account) and runs stacks in
# parallel (--parallelism, default the number of cores). Its plans attach to
# an AWS plugin started for each plan (launched once, where plain terraform
# launches it three times) and run with GOGC=400 (docs/drift.md, Benchmark).
#
# Wall and CPU time (user+sys of vigil or the loop and their terraform and
# provider processes; the sandbox's own CPU is in neither) are printed.
# On a machine shared with other work the wall ratio is noisy (the 1-minute
# load average before and after each timed part is printed); the CPU ratio is
# the steadier figure. Quote both, with the load.
#
# Usage: bench/drift.sh
# Environment:
#   GEN=50          generated stacks (the issue's figure; fewer for a quick run)
#   PARALLELISM=…   vigil drift --parallelism (default: vigil's, the CPUs)
#   KEEP=1          keep the work directory (printed) instead of deleting it
#   WORK=DIR        use DIR as the work directory and keep it; when an earlier
#                   run with the same GEN set it up, the setup is skipped (the
#                   sandbox restarts on its data) and only the timed part runs
#   VIGIL=PATH      a vigil binary to use instead of building ./cmd/vigil
#   SETUP_ONLY=1    with WORK: set up, then stop before the timed part
set -euo pipefail
cd "$(dirname "$0")/.."
GEN=${GEN:-50}
tf=${VIGIL_TERRAFORM:-$(command -v terraform || command -v tofu)}
mirror=${VIGIL_PROVIDER_MIRROR:-/opt/tf-plugins}
if [ -n "${WORK:-}" ]; then
	mkdir -p "$WORK"
	work=$(cd "$WORK" && pwd)
	KEEP=1
else
	work=$(mktemp -d)
fi
sbx_pid=""
cleanup() {
	if [ -n "$sbx_pid" ]; then kill "$sbx_pid" 2>/dev/null || true; wait "$sbx_pid" 2>/dev/null || true; fi
	if [ "${KEEP:-}" = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
reuse=""
if [ -f "$work/setup.done" ] && [ "$(cat "$work/setup.done")" = "GEN=$GEN" ]; then reuse=1; fi

if [ -n "${VIGIL:-}" ]; then cp "$VIGIL" "$work/vigil"; else go build -o "$work/vigil" ./cmd/vigil; fi
if [ -z "$reuse" ]; then
rm -rf "$work/bp" "$work/sbx" "$work/loopdata"
echo "== setup: copy the blueprint, generate $GEN stacks"
cp -r blueprint "$work/bp"
rm -rf "$work/bp/.vigil"
find "$work/bp" -name .terraform -type d -prune -exec rm -rf {} +
find "$work/bp" -name .terraform.lock.hcl -delete
for env in dev prod; do
	python3 - "$work/bp/live/$env/remediation/remediator.zip" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("bootstrap", "#!/bin/sh\n# bench fixture: the sandbox stores Lambda code, it does not run it here\n")
PY
done
gen=()
for i in $(seq -w 1 "$GEN"); do
	d="$work/bp/live/dev/gen-$i"
	mkdir -p "$d"
	cat >"$d/main.tf" <<TF
terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 6.0"
    }
  }
  backend "s3" {
    bucket       = "vigil-dev-tfstate"
    key          = "dev/gen-$i/terraform.tfstate"
    region       = "us-east-1"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = "us-east-1"
  default_tags {
    tags = {
      "vigil:env"   = "dev"
      "vigil:layer" = "gen-$i"
      "managed-by"  = "vigil"
    }
  }
}

resource "aws_sns_topic" "t" {
  name = "bench-gen-$i"
}

resource "aws_cloudwatch_metric_alarm" "a" {
  alarm_name          = "bench-gen-$i-errors"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "HTTPCode_Target_5XX_Count"
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = 25
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.t.arn]
  ok_actions          = [aws_sns_topic.t.arn]
}
TF
done
fi
gen=()
for i in $(seq -w 1 "$GEN"); do gen+=("live/dev/gen-$i"); done
blueprint_stacks=(live/dev/foundation live/dev/workload live/dev/observability live/dev/remediation
	live/prod/foundation live/prod/workload live/prod/observability live/prod/remediation)
stacks=("${blueprint_stacks[@]}" "${gen[@]}")

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

echo "== setup: sandbox"
rm -f "$work/sbx/server.json" # a stale one from an earlier run
"$work/vigil" sandbox serve --addr 127.0.0.1:0 --data-dir "$work/sbx" >"$work/sandbox.log" 2>&1 &
sbx_pid=$!
for _ in $(seq 1 100); do [ -s "$work/sbx/server.json" ] && break; sleep 0.1; done
eval "$("$work/vigil" sandbox env --data-dir "$work/sbx" | grep '^export ')"
export VIGIL_SANDBOX_DATA_DIR="$work/sbx" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1

tfin() { # tfin <stack path> <terraform args...>: plain terraform, the loop's data dir
	local s=$1
	shift
	TF_CLI_CONFIG_FILE="$work/loop.tfrc" TF_DATA_DIR="$work/loopdata/$s" "$tf" -chdir="$work/bp/$s" "$@"
}
export -f tfin
export work tf

if [ -z "$reuse" ]; then
echo "== setup: apply bootstrap, blueprint (dev, prod) and $GEN generated stacks with plain terraform"
t0=$SECONDS
# One account holds both environments here: prod uses the GitHub OIDC provider
# dev creates (an account has one per URL), as the blueprint documents.
cat >"$work/bp/live/prod/foundation/bench.auto.tfvars" <<'TFVARS'
create_oidc_provider = false
oidc_provider_arn    = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
TFVARS
apply_env() { # bootstrap, then the layers in order
	local env=$1 s
	for s in "bootstrap/$env" "live/$env/foundation" "live/$env/workload" "live/$env/observability" "live/$env/remediation"; do
		tfin "$s" init -input=false -no-color >/dev/null
		tfin "$s" apply -auto-approve -input=false -no-color >"$work/apply-$env.log" 2>&1 || { echo "apply $s failed:"; tail -30 "$work/apply-$env.log"; return 1; }
	done
}
apply_env dev
apply_env prod
for s in "${gen[@]}"; do tfin "$s" init -input=false -no-color >/dev/null; done
printf '%s\n' "${gen[@]}" | xargs -P 2 -I{} bash -c 'tfin {} apply -auto-approve -input=false -no-color >"$work/loopdata/apply-$(basename {}).log" 2>&1 || { cat "$work/loopdata/apply-$(basename {}).log"; exit 255; }'
echo "   applied ${#stacks[@]} stacks in $((SECONDS - t0))s"
echo "GEN=$GEN" >"$work/setup.done"
if [ "${SETUP_ONLY:-}" = 1 ]; then exit 0; fi
else
	echo "== setup: reusing $work (${#stacks[@]} stacks applied by an earlier run)"
fi

measure() { # measure <label> <command...>: prints "<label> <wall> <cpu> <load before> <load after>"; the exit code goes to $work/<label>.code
	local label=$1 code=0 l0 l1
	shift
	l0=$(cut -d' ' -f1 /proc/loadavg)
	/usr/bin/time -o "$work/$label.time" -f "%e %U %S" "$@" >"$work/$label.out" 2>"$work/$label.err" || code=$?
	l1=$(cut -d' ' -f1 /proc/loadavg)
	echo "$code" >"$work/$label.code"
	awk -v l="$label" -v l0="$l0" -v l1="$l1" '{ printf "%s %.1f %.1f %s %s\n", l, $1, $2 + $3, l0, l1 }' "$work/$label.time"
}

check() { # the loop must succeed; vigil must find no drift (exit 0)
	local label=$1
	if [ "$(cat "$work/$label.code")" != 0 ]; then
		echo "$label exited $(cat "$work/$label.code"):"
		tail -40 "$work/$label.out" "$work/$label.err"
		exit 1
	fi
}
echo "== timed: sequential loop of terraform plan -refresh-only -lock=false over ${#stacks[@]} stacks"
cat >"$work/loop.sh" <<'SH'
set -e
for s in "$@"; do tfin "$s" plan -refresh-only -lock=false -input=false -no-color >/dev/null; done
SH
loop=$(measure loop bash "$work/loop.sh" "${stacks[@]}")
check loop
echo "   $loop"

par=()
if [ -n "${PARALLELISM:-}" ]; then par=(--parallelism "$PARALLELISM"); fi
echo "== timed: vigil drift --target sandbox ${par[*]} (cold, then warm)"
rm -rf "$work/bp/.vigil/tfdata-drift"
cold=$(measure cold "$work/vigil" -C "$work/bp" drift --target sandbox "${par[@]}")
check cold
echo "   $cold"
warm=$(measure warm "$work/vigil" -C "$work/bp" drift --target sandbox "${par[@]}")
check warm
echo "   $warm"

echo
echo "== Summary (${#stacks[@]} stacks: 8 blueprint + $GEN generated; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg))"
read -r _ lw lc la lb <<<"$loop"
read -r _ cw cc ca cb <<<"$cold"
read -r _ ww wc wa wb <<<"$warm"
awk -v lw="$lw" -v lc="$lc" -v cw="$cw" -v cc="$cc" -v ww="$ww" -v wc="$wc" \
	-v la="$la" -v lb="$lb" -v ca="$ca" -v cb="$cb" -v wa="$wa" -v wb="$wb" 'BEGIN {
	printf "%-48s %8s %8s   %s\n", "", "wall s", "cpu s", "load (1 min) before → after"
	printf "%-48s %8.1f %8.1f   %s → %s\n", "loop: terraform plan -refresh-only, sequential", lw, lc, la, lb
	printf "%-48s %8.1f %8.1f   %s → %s\n", "vigil drift, cold (every init runs)", cw, cc, ca, cb
	printf "%-48s %8.1f %8.1f   %s → %s\n", "vigil drift, warm", ww, wc, wa, wb
	printf "ratio vigil/loop (wall): warm %.2f, cold %.2f   (target <= 0.6)\n", ww / lw, cw / lw
	printf "ratio vigil/loop (cpu):  warm %.2f, cold %.2f\n", wc / lc, cc / lc
}'
