#!/usr/bin/env bash
# Builds the remediation Lambda's zip (cmd/vigil-remediator as an executable
# named bootstrap for linux/amd64, zipped reproducibly) at OUT.zip, and
# prints its source_code_hash. Needs only Go: no zip tool.
#   scripts/build-remediator.sh .vigil/build/remediator.zip
set -euo pipefail
if [ "$#" -ne 1 ]; then
  echo "usage: $0 OUT.zip" >&2
  exit 2
fi
out="$1"
case "$out" in
  /*) ;;
  *) out="$PWD/$out" ;;
esac
cd "$(dirname "$0")/.."
exec go run ./internal/remediate/build/cmd -src . "$out"
