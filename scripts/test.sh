#!/usr/bin/env bash
# The test command (README, .ci/run): every Go test, including the end-to-end
# ones that run terraform against the local provider mirror and `terraform
# test` in every blueprint module. Those skip with a reason when terraform or
# the mirror is missing, and fail instead when CI=true.
set -euo pipefail
cd "$(dirname "$0")/.."
# Headless Chromium for the dashboard's browser tests (quick when present;
# installs with apt-get as root; fails here under CI=true when it cannot).
scripts/install-chromium.sh
# PostgreSQL's server binaries for the PostgreSQL store's tests (each test
# binary starts its own throwaway server on loopback).
scripts/install-postgres.sh
# -p 4: the end-to-end packages mostly wait (on the provider's waiters, on the shared
# devenv snapshot's lock), so more of them in flight than the 2 cores keeps the CPUs busy.
exec go test -p 4 -timeout 30m ./... "$@"
