#!/usr/bin/env bash
# The test command (README, .ci/run): every Go test, including the end-to-end
# ones that run terraform against the local provider mirror and `terraform
# test` in every blueprint module. Those skip with a reason when terraform or
# the mirror is missing, and fail instead when CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
exec go test -timeout 30m ./... "$@"
