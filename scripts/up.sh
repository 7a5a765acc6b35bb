#!/usr/bin/env bash
# The README's main job: bring the blueprint's dev environment up on vigil's embedded
# sandbox (no AWS account, no network). Builds vigil and the remediation Lambda's zip,
# then runs `vigil up`: sandbox, bootstrap of the state backend, check, plan, apply of the
# four layers, a summary. The sandbox keeps running until Ctrl-C; pass --once to exit after
# the apply. A second run finds nothing to change. Extra arguments go to `vigil up`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mkdir -p .vigil/bin blueprint/.vigil/build
go build -o .vigil/bin/vigil ./cmd/vigil
go run ./internal/remediate/build/cmd blueprint/.vigil/build/remediator.zip >/dev/null
export VIGIL_REMEDIATOR_ZIP="$root/blueprint/.vigil/build/remediator.zip"
exec .vigil/bin/vigil -C blueprint up --env dev "$@"
